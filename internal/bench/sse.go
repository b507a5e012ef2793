package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// event is a realtime message a subscriber received.
type event struct {
	Sub  int // subscriber index
	At   time.Time
	Name string
}

// subscribers holds many SSE connections to PocketBase's /api/realtime, all
// subscribed to one topic, and reports what arrives on one channel.
type subscribers struct {
	Events chan event
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// subscribe opens one SSE connection per token (tokens[i] authenticates
// subscriber i) and subscribes each to topic, `parallel` at a time.
func subscribe(base string, tokens []string, topic string, parallel int, bar *progress) (*subscribers, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscribers{Events: make(chan event, 1<<16), cancel: cancel}
	stream := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	api := newClient(base, parallel)

	errs := make(chan error, len(tokens))
	sem := make(chan struct{}, parallel)
	var connected sync.WaitGroup
	var mu sync.Mutex
	for i, tok := range tokens {
		sem <- struct{}{}
		connected.Add(1)
		go func() {
			defer func() { <-sem }()
			id, lines, err := s.open(ctx, stream, base)
			if err == nil {
				err = api.do(http.MethodPost, "/api/realtime", tok, map[string]any{"clientId": id, "subscriptions": []string{topic}}, nil)
			}
			if err != nil {
				errs <- fmt.Errorf("subscriber %d: %w", i, err)
			} else {
				s.wg.Add(1)
				go s.read(ctx, i, lines)
			}
			mu.Lock()
			bar.add(1)
			mu.Unlock()
			connected.Done()
		}()
	}
	connected.Wait()
	close(errs)
	if err := <-errs; err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// open connects and waits for PB_CONNECT, returning the realtime client id.
func (s *subscribers) open(ctx context.Context, c *http.Client, base string) (string, *bufio.Scanner, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := c.Do(req)
	if err != nil {
		return "", nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return "", nil, fmt.Errorf("realtime connect: %d", res.StatusCode)
	}
	lines := bufio.NewScanner(res.Body)
	name, data, ok := nextEvent(lines)
	if !ok || name != "PB_CONNECT" {
		res.Body.Close()
		return "", nil, fmt.Errorf("realtime connect: no PB_CONNECT")
	}
	var connect struct{ ClientId string }
	if err := json.Unmarshal([]byte(data), &connect); err != nil {
		res.Body.Close()
		return "", nil, err
	}
	return connect.ClientId, lines, nil
}

func (s *subscribers) read(ctx context.Context, i int, lines *bufio.Scanner) {
	defer s.wg.Done()
	for {
		name, _, ok := nextEvent(lines)
		if !ok {
			return
		}
		select {
		case s.Events <- event{Sub: i, At: time.Now(), Name: name}:
		case <-ctx.Done():
			return
		}
	}
}

// nextEvent reads one server-sent event.
func nextEvent(lines *bufio.Scanner) (name, data string, ok bool) {
	for lines.Scan() {
		line := lines.Text()
		switch {
		case line == "":
			if name != "" || data != "" {
				return name, data, true
			}
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(line[len("data:"):])
		}
	}
	return "", "", false
}

// close disconnects every subscriber.
func (s *subscribers) close() {
	s.cancel()
	s.wg.Wait()
}
