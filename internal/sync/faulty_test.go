package sync_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"strings"
)

// faulty is a seeded unreliable network: it drops requests, loses
// responses after the server acted, delivers duplicates, and holds copies of
// pushes back to deliver them later, out of order.
type faulty struct {
	rng     *rand.Rand
	off     bool
	held    []*http.Request
	bodies  [][]byte
	dropped int
	lost    int
	dupes   int
	delayed int
}

var errFaulty = errors.New("faulty network")

func (f *faulty) Do(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	if f.off {
		return send(req, body)
	}
	if len(f.held) > 0 && f.rng.Intn(3) == 0 {
		f.deliverHeld(1)
	}
	isPush := strings.HasSuffix(req.URL.Path, "/push")
	switch r := f.rng.Intn(100); {
	case r < 10:
		f.dropped++
		return nil, errFaulty
	case r < 20:
		f.lost++
		if resp, err := send(req, body); err == nil {
			discard(resp)
		}
		return nil, errFaulty
	case r < 28 && isPush:
		f.delayed++
		f.held = append(f.held, req.Clone(req.Context()))
		f.bodies = append(f.bodies, body)
	case r < 35:
		f.dupes++
		if resp, err := send(req, body); err == nil {
			discard(resp)
		}
	}
	return send(req, body)
}

// deliverHeld sends up to n held-back requests, oldest first; nobody reads
// their responses.
func (f *faulty) deliverHeld(n int) {
	for ; n > 0 && len(f.held) > 0; n-- {
		req, body := f.held[0], f.bodies[0]
		f.held, f.bodies = f.held[1:], f.bodies[1:]
		if resp, err := send(req, body); err == nil {
			discard(resp)
		}
	}
}

func send(req *http.Request, body []byte) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	return http.DefaultClient.Do(out)
}

func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
