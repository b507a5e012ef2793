package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// client talks JSON to one server over keep-alive connections.
type client struct {
	base string
	http *http.Client
	// devices gives each token the address of its phone: PocketBase keys
	// its rate limiters (and the list API's anti-enumeration throttle) by
	// client IP, and a fleet of phones does not share one address.
	devices map[string]string
	device  string // overrides devices: see from
}

// from is c sending every request from the device address ip.
func (c *client) from(ip string) *client {
	cc := *c
	cc.device = ip
	return &cc
}

func newClient(base string, conns int) *client {
	return &client{base: base, http: &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			DisableCompression:  true,
		},
	}}
}

// do sends body (JSON-encoded unless nil) and decodes a 2xx answer into out.
func (c *client) do(method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.device != "" {
		req.Header.Set(deviceHeader, c.device)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
		if ip, ok := c.devices[token]; ok && c.device == "" {
			req.Header.Set(deviceHeader, ip)
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, truncate(data, 300))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// loadResult is what a closed-loop load run measured.
type loadResult struct {
	Units    int64           // work units done (records, mutations, pulls)
	Errors   int             // operations that failed
	Elapsed  time.Duration   // wall time of the run
	Latency  []time.Duration // per successful operation
	FirstErr error
}

func (r loadResult) perSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Units) / r.Elapsed.Seconds()
}

// runLoad keeps `workers` operations in flight until maxCalls operations
// have started or maxDur has passed. op(worker, i) does one operation and
// says how many units of work it completed.
func runLoad(workers, maxCalls int, maxDur time.Duration, op func(worker, i int) (int, error)) loadResult {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		res   loadResult
		wg    sync.WaitGroup
		units atomic.Int64
	)
	ctx, cancel := context.WithTimeout(context.Background(), maxDur)
	defer cancel()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs := 0
			var firstErr error
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= maxCalls {
					break
				}
				t := time.Now()
				n, err := op(w, i)
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
				units.Add(int64(n))
			}
			mu.Lock()
			res.Latency = append(res.Latency, lat...)
			res.Errors += errs
			if res.FirstErr == nil {
				res.FirstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Units = units.Load()
	return res
}

// percentile of sorted-on-demand durations, p in [0,100].
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
