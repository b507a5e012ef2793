// Command mutate is a small mutation tester for the rule and sync code. It
// makes one plausible bug at a time in hooks/, internal/budget,
// internal/approval, internal/audit, internal/sync or internal/clientwrite
// (the push's rule checks) — a comparison's
// boundary flipped (> to >=), an equality negated, one side of && or ||
// dropped, an integer constant off by one, an if's condition dropped (the
// guard never fires) — and runs the tests that guard that code against it.
// A mutant the tests fail on (or time out on) is killed; one they pass on
// survived: a bug nothing would notice.
//
// The source tree is never touched: each mutant is handed to the go
// command through -overlay. Comparisons with nil (error plumbing) are left
// alone. A seeded random sample is run, split evenly across the six
// packages, since every site would take hours on a small machine:
//
//	go run ./internal/mutate -n 40 -seed 1        # run a sample
//	go run ./internal/mutate -n 40 -seed 1 -list  # only list it
//	go run ./internal/mutate -seed 1 -only 3,17   # rerun mutants 3 and 17
//
// docs/testing.md records the last pass and explains its survivors.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// targets maps each mutated package to the test packages that guard it,
// in the order they run (the first failure kills the mutant). The rules of
// budget, approval and audit are exercised mostly through hooks.
var targets = []struct {
	dir   string
	tests []string
}{
	{"hooks", []string{"./hooks"}},
	{"internal/budget", []string{"./internal/budget", "./hooks"}},
	{"internal/approval", []string{"./internal/approval", "./hooks"}},
	{"internal/audit", []string{"./internal/audit", "./hooks"}},
	{"internal/sync", []string{"./internal/sync"}},
	{"internal/clientwrite", []string{"./internal/clientwrite", "./internal/sync"}},
}

// mutant is one edit of one file: the bytes [start, end) become text.
type mutant struct {
	id         int
	file       string // relative to the module root
	line       int
	start, end int
	text       string
	what       string
	tests      []string
}

func main() {
	n := flag.Int("n", 40, "how many mutants to sample")
	seed := flag.Uint64("seed", 1, "seed of the sample")
	list := flag.Bool("list", false, "list the sample without running it")
	only := flag.String("only", "", "comma-separated mutant ids of the sample to run")
	timeout := flag.Duration("timeout", 5*time.Minute, "go test -timeout of each test package run")
	flag.Parse()
	if _, err := os.Stat("go.mod"); err != nil {
		fail("run from the module root (where go.mod is)")
	}

	all := sites()
	sample := pick(all, *n, *seed)
	slices.SortFunc(sample, func(a, b mutant) int {
		return cmpBoth(strings.Compare(a.file, b.file), a.start-b.start)
	})
	for i := range sample {
		sample[i].id = i + 1
	}
	fmt.Printf("%d mutation sites; sample of %d with seed %d\n", len(all), len(sample), *seed)
	if *list {
		for _, m := range sample {
			fmt.Printf("%3d  %s:%d  %s\n", m.id, m.file, m.line, m.what)
		}
		return
	}
	if *only != "" {
		keep := map[int]bool{}
		for _, s := range strings.Split(*only, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				fail("-only takes ids such as 3,17")
			}
			keep[id] = true
		}
		sample = slices.DeleteFunc(sample, func(m mutant) bool { return !keep[m.id] })
	}

	work, err := os.MkdirTemp("", "mutate")
	check(err)
	defer os.RemoveAll(work)
	killed, survived, invalid := 0, []mutant{}, 0
	for _, m := range sample {
		start := time.Now()
		verdict := run(m, work, *timeout)
		switch {
		case strings.HasPrefix(verdict, "killed"):
			killed++
		case verdict == "survived":
			survived = append(survived, m)
		default:
			invalid++
		}
		fmt.Printf("%3d  %s:%d  %s  → %s (%s)\n", m.id, m.file, m.line, m.what, verdict, time.Since(start).Round(time.Second))
	}
	valid := killed + len(survived)
	fmt.Printf("\nkilled %d of %d valid mutants (%.0f %%); %d did not compile\n", killed, valid, 100*float64(killed)/float64(max(valid, 1)), invalid)
	for _, m := range survived {
		fmt.Printf("survived %3d  %s:%d  %s\n", m.id, m.file, m.line, m.what)
	}
}

// pick draws a seeded sample of n sites, split evenly across the target
// packages (so that a small package such as internal/budget is not drowned
// by hooks' hundreds of sites).
func pick(all []mutant, n int, seed uint64) []mutant {
	r := rand.New(rand.NewPCG(seed, 0))
	var sample []mutant
	for i, tg := range targets {
		var group []mutant
		for _, m := range all {
			if filepath.Dir(m.file) == filepath.FromSlash(tg.dir) {
				group = append(group, m)
			}
		}
		r.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
		quota := n / len(targets)
		if i < n%len(targets) {
			quota++
		}
		sample = append(sample, group[:min(quota, len(group))]...)
	}
	return sample
}

// sites lists every mutation of every non-test file of the targets, in a
// stable order.
func sites() []mutant {
	var out []mutant
	for _, tg := range targets {
		files, err := filepath.Glob(filepath.Join(tg.dir, "*.go"))
		check(err)
		slices.Sort(files)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			check(err)
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, src, 0)
			check(err)
			add := func(pos, end token.Pos, text, what string) {
				out = append(out, mutant{file: path, line: fset.Position(pos).Line, start: fset.Position(pos).Offset,
					end: fset.Position(end).Offset, text: text, what: what, tests: tg.tests})
			}
			code := func(n ast.Node) string {
				return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BinaryExpr:
					opEnd := n.OpPos + token.Pos(len(n.Op.String()))
					switch n.Op {
					case token.LSS, token.LEQ, token.GTR, token.GEQ:
						flip := map[token.Token]string{token.LSS: "<=", token.LEQ: "<", token.GTR: ">=", token.GEQ: ">"}[n.Op]
						add(n.OpPos, opEnd, flip, fmt.Sprintf("%s: %s → %s", code(n), n.Op, flip))
					case token.EQL, token.NEQ:
						if isNil(n.X) || isNil(n.Y) {
							return true
						}
						flip := map[token.Token]string{token.EQL: "!=", token.NEQ: "=="}[n.Op]
						add(n.OpPos, opEnd, flip, fmt.Sprintf("%s: %s → %s", code(n), n.Op, flip))
					case token.LAND, token.LOR:
						add(n.Pos(), n.End(), code(n.X), fmt.Sprintf("%s: only the left side kept", code(n)))
						add(n.Pos(), n.End(), code(n.Y), fmt.Sprintf("%s: only the right side kept", code(n)))
					}
					for _, side := range []ast.Expr{n.X, n.Y} {
						if lit, ok := side.(*ast.BasicLit); ok && lit.Kind == token.INT {
							offByOne(lit, add)
						}
					}
				case *ast.ValueSpec: // const lateAfterDays = 7
					for _, v := range n.Values {
						if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.INT {
							offByOne(lit, add)
						}
					}
				case *ast.IfStmt:
					if !mentionsNil(n.Cond) {
						add(n.Cond.Pos(), n.Cond.End(), "false", fmt.Sprintf("if %s: condition dropped (never true)", code(n.Cond)))
					}
				}
				return true
			})
		}
	}
	return out
}

func offByOne(lit *ast.BasicLit, add func(pos, end token.Pos, text, what string)) {
	v, err := strconv.ParseInt(lit.Value, 0, 64)
	if err != nil {
		return
	}
	add(lit.Pos(), lit.End(), strconv.FormatInt(v+1, 10), fmt.Sprintf("constant %s → %d", lit.Value, v+1))
}

func isNil(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "nil"
}

func mentionsNil(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && isNil(e) {
			found = true
		}
		return !found
	})
	return found
}

var failedTest = regexp.MustCompile(`(?m)^--- FAIL: (\S+)|^panic: (.{0,120})`)

// run applies m through an overlay and runs its test packages in order: the
// verdict is "killed by …", "survived", or "did not compile".
func run(m mutant, work string, timeout time.Duration) string {
	src, err := os.ReadFile(m.file)
	check(err)
	mutated := append(append(slices.Clone(src[:m.start]), m.text...), src[m.end:]...)
	abs, err := filepath.Abs(m.file)
	check(err)
	file := filepath.Join(work, fmt.Sprintf("m%d.go", m.id))
	check(os.WriteFile(file, mutated, 0o644))
	overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{abs: file}})
	check(err)
	overlayFile := filepath.Join(work, "overlay.json")
	check(os.WriteFile(overlayFile, overlay, 0o644))

	if _, err := goCmd("build", "-overlay", overlayFile, "./"+filepath.Dir(m.file)); err != nil {
		return "did not compile"
	}
	for _, pkg := range m.tests {
		out, err := goCmd("test", "-overlay", overlayFile, "-count=1", "-failfast", "-timeout", timeout.String(), pkg)
		if err == nil {
			continue
		}
		if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
			return "did not compile"
		}
		why := "a failure"
		if mm := failedTest.FindStringSubmatch(out); mm != nil {
			why = mm[1] + mm[2]
		}
		return fmt.Sprintf("killed by %s (%s)", pkg, why)
	}
	return "survived"
}

func goCmd(args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func cmpBoth(first, second int) int {
	if first != 0 {
		return first
	}
	return second
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "mutate:", msg)
	os.Exit(2)
}
