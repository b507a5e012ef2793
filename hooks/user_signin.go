package hooks

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Failed sign-ins are limited per account, besides PocketBase's per-IP
// rate limit (10 a minute): an office behind one NAT shares that one, while
// one account could be guessed from many addresses. After signInFailures
// failed passwords within signInWindow, the account's password sign-in is
// refused with 429 until the oldest of them is signInWindow old, whatever
// the address and whether the password is right.
const (
	signInFailures = 5
	signInWindow   = 15 * time.Minute
)

// signInLimiter counts, per account, the recent failed sign-ins and the
// attempts in flight. An attempt takes its slot before the password is
// checked, so concurrent guesses cannot overshoot the limit. It lives in
// memory: an attacker cannot restart the server, and a restart forgives.
type signInLimiter struct {
	mu       sync.Mutex
	accounts map[string]*signInAccount
}

type signInAccount struct {
	failures []time.Time // oldest first, within the window
	inFlight int
}

// begin takes a slot for an attempt on key, or says how long to wait.
func (l *signInLimiter) begin(key string, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts[key]
	if a == nil {
		if len(l.accounts) > 10_000 {
			l.sweep(now)
		}
		a = &signInAccount{}
		l.accounts[key] = a
	}
	a.forget(now)
	if len(a.failures)+a.inFlight >= signInFailures {
		if len(a.failures) == 0 { // every slot is an attempt in flight
			return time.Second, false
		}
		return a.failures[0].Add(signInWindow).Sub(now), false
	}
	a.inFlight++
	return 0, true
}

// end gives the slot back: a failure stays counted, a success clears them.
func (l *signInLimiter) end(key string, now time.Time, failed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts[key]
	a.inFlight--
	if failed {
		a.failures = append(a.failures, now)
	} else {
		a.failures = nil
	}
}

// forget drops failures older than the window.
func (a *signInAccount) forget(now time.Time) {
	i := 0
	for i < len(a.failures) && now.Sub(a.failures[i]) >= signInWindow {
		i++
	}
	a.failures = a.failures[i:]
}

// sweep drops idle accounts (identities an attacker made up included).
func (l *signInLimiter) sweep(now time.Time) {
	for key, a := range l.accounts {
		if a.forget(now); len(a.failures) == 0 && a.inFlight == 0 {
			delete(l.accounts, key)
		}
	}
}

// bindSignIn limits failed password sign-ins per account, on every auth
// collection (users and superusers). An identity matching no account is
// counted by the identity, so probing answers alike for accounts that exist
// and those that do not.
func bindSignIn(app core.App) {
	l := &signInLimiter{accounts: map[string]*signInAccount{}}
	bind(app.OnRecordAuthWithPasswordRequest(), StageAuth, "rapport.signin.limit", l.limit)
}

// limit refuses a password sign-in on an account with too many recent
// failures, and counts this attempt's outcome.
func (l *signInLimiter) limit(e *core.RecordAuthWithPasswordRequestEvent) error {
	key := e.Collection.Id + "/" + strings.ToLower(strings.TrimSpace(e.Identity))
	if e.Record != nil {
		key = e.Collection.Id + "/" + e.Record.Id // every identity field of the account counts together
	}
	wait, ok := l.begin(key, time.Now())
	if !ok {
		seconds := int(wait.Round(time.Second) / time.Second)
		seconds = max(seconds, 1)
		msg := fmt.Sprintf("Too many failed sign-ins for this account: try again in %d seconds (after %d failed passwords in %d minutes, sign-in pauses).", seconds, signInFailures, int(signInWindow/time.Minute))
		e.Response.Header().Set("Retry-After", fmt.Sprint(seconds))
		return router.NewApiError(http.StatusTooManyRequests, msg, validation.Errors{"identity": validation.NewError("too_many_attempts", msg)})
	}
	err := e.Next()
	l.end(key, time.Now(), err != nil)
	return err
}
