package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"rapport/hooks"
	"rapport/internal/dbconn"
	rsync "rapport/internal/sync"
	_ "rapport/pb_migrations"
)

// Servers run in child processes (this same binary, re-executed with
// childEnv set) so that their memory is measured alone and their CPU profile
// holds server work only; the parent generates data into the data directory
// first, then hands it over.
const childEnv = "RAPPORT_BENCH_CHILD"

// Server modes.
const (
	modeRapport = "rapport" // Rapport's migrations and every hook
	modeStock   = "stock"   // PocketBase's system migrations, no hook at all
)

type childSpec struct {
	Dir     string `json:"dir"`
	Mode    string `json:"mode"`
	Profile string `json:"profile,omitempty"`
}

// register wires Rapport the way main.go does; the bench servers must run
// exactly what production runs.
func register(app core.App) {
	hooks.Register(app)
	rsync.Register(app)
}

// openApp bootstraps the app stored in dir and brings its schema up to date.
func openApp(dir, mode string) (*core.BaseApp, error) {
	config := core.BaseAppConfig{DataDir: dir}
	if mode == modeRapport {
		config.DBConnect = dbconn.Connect // as main.go; stock stays stock
	}
	app := core.NewBaseApp(config)
	if err := app.Bootstrap(); err != nil {
		return nil, err
	}
	var err error
	if mode == modeRapport {
		err = app.RunAllMigrations()
		register(app)
	} else {
		err = app.RunSystemMigrations()
	}
	if err != nil {
		app.ResetBootstrapState()
		return nil, err
	}
	return app, nil
}

// RunChildIfAsked serves a bench data directory when this process was started
// by the bench as a server, and then never returns. Call it first thing in
// the bench command (and in TestMain for the tests' binary).
func RunChildIfAsked() {
	raw := os.Getenv(childEnv)
	if raw == "" {
		return
	}
	if err := runChild(raw); err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild(raw string) error {
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return err
	}
	raiseFileLimit()
	if spec.Mode == modeStock {
		// apis.Serve applies every registered app migration: a stock
		// server must not get Rapport's schema.
		core.AppMigrations = core.MigrationsList{}
		goDefaults()
	}
	app, err := openApp(spec.Dir, spec.Mode)
	if err != nil {
		return err
	}
	if spec.Profile != "" {
		f, err := os.Create(spec.Profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
		// where the server waits rather than computes (the writer, I/O)
		runtime.SetBlockProfileRate(int(10 * time.Microsecond))
		defer writeProfile("block", strings.TrimSuffix(spec.Profile, ".prof")+".block.prof")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Listener = ln
		e.InstallerFunc = nil
		// where the server's memory goes (bench servers only)
		e.Router.GET("/__bench/memstats", func(re *core.RequestEvent) error {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return re.JSON(http.StatusOK, memStats{HeapInuse: m.HeapInuse, StackInuse: m.StackInuse,
				Sys: m.Sys, Goroutines: runtime.NumGoroutine()})
		})
		return e.Next()
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- apis.Serve(app, apis.ServeConfig{HttpAddr: ln.Addr().String()}) }()
	fmt.Printf("listening %s\n", ln.Addr())

	// The parent closes our stdin when it is done with us (or dies).
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
		return nil
	case err := <-serveErr:
		return err
	}
}

// goDefaults undoes main.go's tuning of Go's collector: stock PocketBase
// runs with Go's defaults unless GOGC / GOMEMLIMIT say otherwise.
func goDefaults() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// memStats is the Go runtime's view of a server's memory.
type memStats struct {
	HeapInuse  uint64 `json:"heapInuse"`
	StackInuse uint64 `json:"stackInuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup(name).WriteTo(f, 0)
}

// server is a running child server.
type server struct {
	URL  string
	cmd  *exec.Cmd
	in   io.WriteCloser
	done chan error
}

// startServer serves dir in a child process on a loopback port.
func startServer(dir, mode, profile string) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	spec, _ := json.Marshal(childSpec{Dir: dir, Mode: mode, Profile: profile})
	cmd := exec.Command(exe, "bench")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Dir = filepath.Dir(dir) // PocketBase's command runner bootstraps ./pb_data: keep it in the temp dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, in: in, done: make(chan error, 1)}
	lines := bufio.NewScanner(out)
	addr := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "listening "); ok {
				addr <- a
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		s.URL = "http://" + a
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("bench server exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, fmt.Errorf("bench server did not start within 60s")
	}
}

// stop asks the child to exit and waits for it (its profile is then written).
func (s *server) stop() {
	_ = s.in.Close()
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// peakRSS is the child's peak resident set (VmHWM), in bytes.
func (s *server) peakRSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// raiseFileLimit lifts RLIMIT_NOFILE to the hard limit: thousands of SSE
// connections need as many descriptors on each side.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
