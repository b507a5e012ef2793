package syncclient

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"rapport/internal/sync"
)

// Listen opens PocketBase's realtime stream, subscribes to the sync topic
// and calls onPoke after every (re)connect (cursor "") and every poke,
// until ctx ends or the server drops the connection (PocketBase does at
// least every 30 minutes: call Listen again, and pull).
func (c *Client) Listen(ctx context.Context, onPoke func(cursor string)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/api/realtime", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("syncclient: realtime answered %d", resp.StatusCode)
	}
	lines := bufio.NewScanner(resp.Body)
	var event, data string
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		case line == "":
			if err := c.handleEvent(ctx, event, data, onPoke); err != nil {
				return err
			}
			event, data = "", ""
		}
	}
	return lines.Err()
}

func (c *Client) handleEvent(ctx context.Context, event, data string, onPoke func(string)) error {
	var msg struct {
		ClientID string `json:"clientId"`
		Cursor   string `json:"cursor"`
	}
	_ = json.Unmarshal([]byte(data), &msg)
	switch event {
	case "PB_CONNECT":
		body, _ := json.Marshal(map[string]any{"clientId": msg.ClientID, "subscriptions": []string{sync.Topic}})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/realtime", strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", c.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("syncclient: realtime subscribe answered %d", resp.StatusCode)
		}
		onPoke("")
	case sync.Topic:
		onPoke(msg.Cursor)
	}
	return nil
}
