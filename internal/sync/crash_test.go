package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"rapport/internal/syncclient"
)

// server is the real rapport binary serving a temp data dir.
type server struct {
	t    *testing.T
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
	done chan error
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "serve", "--http", s.addr, "--dir", s.dir)
	var logs bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.t.Fatalf("the server exited: %v\n%s", err, logs.String())
		default:
		}
		if resp, err := http.Get("http://" + s.addr + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatal("the server did not come up")
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func (s *server) post(token, path string, body any) map[string]any {
	s.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+s.addr+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 {
		s.t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
	}
	return out
}

// TestCrashMidPush builds the binary, serves a temp dir, and SIGKILLs the
// server while a device pushes; after each restart the device carries on.
// Every mutation must take effect exactly once: each customer exists once
// and its version counts exactly the updates that were applied to it.
func TestCrashMidPush(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "rapport")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.."
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build the binary, crash test skipped: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{t: t, bin: bin, dir: filepath.Join(tmp, "pb_data"), addr: addr}
	s.start()
	defer s.kill()

	su := exec.Command(bin, "superuser", "upsert", "root@example.com", "password123", "--dir", s.dir)
	if out, err := su.CombinedOutput(); err != nil {
		t.Fatalf("superuser: %v %s", err, out)
	}
	root := s.post("", "/api/collections/_superusers/auth-with-password", map[string]any{"identity": "root@example.com", "password": "password123"})["token"].(string)
	s.post(root, "/api/collections/users/records", map[string]any{"email": "rep@example.com", "password": "password123",
		"passwordConfirm": "password123", "role": "rep", "active": true, "verified": true})
	token := s.post("", "/api/collections/users/auth-with-password", map[string]any{"identity": "rep@example.com", "password": "password123"})["token"].(string)

	rng := rand.New(rand.NewSource(42))
	c := syncclient.New("http://"+addr, token, "crashdevice01")
	n := 0
	c.NewID = func() string { n++; return fmt.Sprintf("c%014d", n) }
	c.PushLimit = 40
	updates := map[string]int{}
	var ids []string
	for i := 0; i < 600; i++ {
		if len(ids) == 0 || rng.Intn(3) == 0 {
			ids = append(ids, c.Create("customers", map[string]any{"name": fmt.Sprintf("Customer %d", i)}))
			continue
		}
		id := ids[rng.Intn(len(ids))]
		c.Update("customers", id, map[string]any{"address": fmt.Sprintf("%d Main St", i)})
		updates[id]++
	}

	ctx := context.Background()
	for kills := 0; kills < 3; kills++ {
		done := make(chan error, 1)
		go func() { done <- c.Push(ctx) }()
		time.Sleep(time.Duration(30+rng.Intn(150)) * time.Millisecond)
		s.kill()
		err := <-done
		if err != nil && !errors.Is(err, syncclient.ErrRetry) {
			t.Fatalf("push during a crash: %v", err)
		}
		t.Logf("killed with %d of %d mutations acknowledged (%v)", c.Issued()-int64(c.Pending()), c.Issued(), err)
		s.start()
	}
	for i := 0; c.Pending() > 0; i++ {
		if err := c.Push(ctx); err != nil && i > 3 {
			t.Fatal(err)
		}
	}
	if err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}

	out := c.Outcomes()
	if int64(len(out)) != c.Issued() {
		t.Fatalf("%d outcomes for %d mutations", len(out), c.Issued())
	}
	for id, r := range out {
		if r.Status != "applied" {
			t.Fatalf("mutation %d: %+v", id, r)
		}
	}
	customers := c.Store()["customers"]
	if len(customers) != len(ids) {
		t.Fatalf("%d customers on the server, %d created", len(customers), len(ids))
	}
	for _, id := range ids {
		if v := customers[id]["version"].(float64); int(v) != 1+updates[id] {
			t.Fatalf("customer %s: version %v after 1 create and %d updates", id, v, updates[id])
		}
	}
}
