package docs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"rapport/internal/testkit"
)

// docs/api.md names every error code and flag the server can return: the
// codes are read from the code that returns them, so a new rule that is not
// documented fails here.
func TestAPIDocNamesEveryCode(t *testing.T) {
	doc := readDoc(t, "api.md")
	codes, flags := returnedCodes(t, "../hooks", "../internal", "..")
	if len(codes) < 30 || len(flags) < 5 {
		t.Fatalf("found only %d codes and %d flags in the code: the scan is broken", len(codes), len(flags))
	}
	for _, c := range append(codes, flags...) {
		if !strings.Contains(doc, "`"+c+"`") {
			t.Errorf("docs/api.md does not name %q, which the server returns", c)
		}
	}
}

// docs/api.md has a section for every collection of the schema, naming each
// of its fields.
func TestAPIDocNamesEveryField(t *testing.T) {
	doc := readDoc(t, "api.md")
	app := testkit.NewApp(t)
	cols, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if c.System || c.Name == "_superusers" {
			continue
		}
		section := sectionOf(doc, c.Name)
		if section == "" {
			t.Errorf("docs/api.md has no `### %s` section", c.Name)
			continue
		}
		for _, f := range c.Fields {
			if slices.Contains([]string{"id", "created", "updated"}, f.GetName()) {
				continue
			}
			if !strings.Contains(section, "`"+f.GetName()+"`") {
				t.Errorf("docs/api.md, %s: field %q is not described", c.Name, f.GetName())
			}
		}
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// sectionOf is the text under "### name" (a heading may add words after the
// name), up to the next heading.
func sectionOf(doc, name string) string {
	m := regexp.MustCompile(`(?m)^### ` + regexp.QuoteMeta(name) + `\b.*$`).FindStringIndex(doc)
	if m == nil {
		return ""
	}
	rest := doc[m[1]:]
	if end := regexp.MustCompile(`(?m)^#{2,3} `).FindStringIndex(rest); end != nil {
		rest = rest[:end[0]]
	}
	return rest
}

// returnedCodes scans the Go code under roots (not tests) for the codes of
// violation.New / violation.Forbidden / validation.NewError and of "code"
// keys in JSON answers, and for the flags appended to a flags list. A code
// passed as a constant is read from the constant; one passed through a
// function's parameter is read from that function's callers.
// listName is the name of the list an append extends: flags, or sub.flags.
func listName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

func returnedCodes(t *testing.T, roots ...string) (codes, flags []string) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != root && (root == ".." || d.Name() == "testdata") {
				return filepath.SkipDir // the top level only for "..": its packages have roots of their own
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err == nil {
				files = append(files, f)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	consts := map[string]string{} // constant name → string value
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if v, ok := n.(*ast.ValueSpec); ok {
				for i, name := range v.Names {
					if i < len(v.Values) {
						if s, ok := literal(v.Values[i]); ok {
							consts[name.Name] = s
						}
					}
				}
			}
			return true
		})
	}
	seen := map[string]bool{}
	add := func(list *[]string, s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	// parameters that carry a code: function name → parameter index
	forwarded := map[string]int{}
	for _, f := range files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			params := paramNames(fn)
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if arg := codeArg(call); arg != nil {
					if s, ok := literal(arg); ok {
						add(&codes, s)
					} else if id, ok := arg.(*ast.Ident); ok {
						if i := slices.Index(params, id.Name); i >= 0 {
							forwarded[fn.Name.Name] = i
						} else if s, ok := consts[id.Name]; ok {
							add(&codes, s)
						}
					}
				}
				if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "append" && len(call.Args) > 1 {
					if listName(call.Args[0]) == "flags" {
						for _, a := range call.Args[1:] {
							if s, ok := literal(a); ok {
								add(&flags, s)
							}
						}
					}
				}
				return true
			})
			// {"code": "x"} in a JSON answer, or answer.Code = "x"
			ast.Inspect(fn, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if k, ok := literal(n.Key); ok && k == "code" {
						if s, ok := literal(n.Value); ok {
							add(&codes, s)
						}
					}
				case *ast.AssignStmt:
					for i, lhs := range n.Lhs {
						if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Code" && i < len(n.Rhs) {
							if s, ok := literal(n.Rhs[i]); ok {
								add(&codes, s)
							}
						}
					}
				}
				return true
			})
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if i, ok := forwarded[calleeName(call)]; ok && i < len(call.Args) {
				if s, ok := literal(call.Args[i]); ok {
					add(&codes, s)
				} else if id, ok := call.Args[i].(*ast.Ident); ok && consts[id.Name] != "" {
					add(&codes, consts[id.Name])
				}
			}
			return true
		})
	}
	return codes, flags
}

// codeArg is the code argument of a call that builds a coded error.
func codeArg(call *ast.CallExpr) ast.Expr {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil
	}
	switch {
	case pkg.Name == "violation" && (sel.Sel.Name == "New" || sel.Sel.Name == "Forbidden") && len(call.Args) > 1:
		return call.Args[1]
	case pkg.Name == "validation" && sel.Sel.Name == "NewError" && len(call.Args) > 0:
		return call.Args[0]
	}
	return nil
}

func calleeName(call *ast.CallExpr) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func paramNames(fn *ast.FuncDecl) []string {
	var names []string
	for _, field := range fn.Type.Params.List {
		for _, n := range field.Names {
			names = append(names, n.Name)
		}
	}
	return names
}

func literal(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
