// Package links makes and serves one-click links, {appURL}/l/{token}: an
// approver approves or rejects from a digest email, a customer rates a
// visit. The token is a JWT (HS256) signed with a secret kept in the
// database (_link_secret: generated on first use, replaced by `rapport
// links rotate-secret`, which voids every link sent so far).
//
// GET /l/{token} only shows a page (mail scanners follow links); POST to
// the same URL acts, once: the token id is remembered (_link_used) in the
// transaction of the write it caused.
package links

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// Kinds of link.
const (
	KindApproval = "approval"
	KindSurvey   = "survey"
)

// Lifetimes of the links.
const (
	ApprovalTTL = 72 * time.Hour
	SurveyTTL   = 14 * 24 * time.Hour
)

// Claims is what a link token says. Subject is the user it acts as (the
// approver) or for (the rep whose visit is rated); ID is the token id that
// makes it single use.
type Claims struct {
	Kind       string `json:"knd"`
	Collection string `json:"col"`           // plans, expenses or visits
	Record     string `json:"rid"`           // the record's id
	Version    int    `json:"ver,omitempty"` // the record's version the link was made for (approvals)
	Decision   string `json:"dec,omitempty"` // approve or reject
	Email      string `json:"eml,omitempty"` // the contact a survey went to
	jwt.RegisteredClaims
}

// Sign makes a token for c, valid for ttl from now.
func Sign(app core.App, c Claims, ttl time.Duration) (string, error) {
	secret, err := secret(app)
	if err != nil {
		return "", err
	}
	now := time.Now()
	c.ID = security.RandomString(24)
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

// URL is the address of a link: {appURL}/l/{token}, with the Application
// URL set on the dashboard (Settings → Application).
func URL(app core.App, token string) string {
	return app.Settings().Meta.AppURL + "/l/" + token
}

// Errors of a token that cannot be used.
var (
	ErrInvalid = errors.New("links: invalid token") // forged, altered, malformed, signed with a rotated secret
	ErrExpired = errors.New("links: token expired")
)

// Parse verifies token and returns its claims.
func Parse(app core.App, token string) (*Claims, error) {
	secret, err := secret(app)
	if err != nil {
		return nil, err
	}
	c := &Claims{}
	_, err = jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, ErrExpired
	case err != nil, c.ID == "", c.Record == "":
		return nil, ErrInvalid
	}
	return c, nil
}

// secret is the signing key, created on first use. INSERT OR IGNORE: two
// first uses at once agree on one key.
func secret(app core.App) ([]byte, error) {
	var key []byte
	err := app.DB().NewQuery("SELECT secret FROM _link_secret WHERE id = 1").Row(&key)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := app.DB().NewQuery("INSERT OR IGNORE INTO _link_secret (id, secret, created) VALUES (1, {:s}, {:t})").
			Bind(dbx.Params{"s": newSecret(), "t": time.Now().Unix()}).Execute(); err != nil {
			return nil, err
		}
		err = app.DB().NewQuery("SELECT secret FROM _link_secret WHERE id = 1").Row(&key)
	}
	return key, err
}

func newSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// Rotate replaces the signing secret: every link made so far stops working.
func Rotate(app core.App) error {
	_, err := app.DB().NewQuery(`INSERT INTO _link_secret (id, secret, created) VALUES (1, {:s}, {:t})
		ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, created = excluded.created`).
		Bind(dbx.Params{"s": newSecret(), "t": time.Now().Unix()}).Execute()
	return err
}

// ErrUsed means the token was used already.
var ErrUsed = errors.New("links: token already used")

// use marks c's token id as used, in tx (rolled back with the write it
// allowed); a second use gets ErrUsed.
func use(tx core.App, c *Claims) error {
	res, err := tx.DB().NewQuery("INSERT OR IGNORE INTO _link_used (jti, expires) VALUES ({:j}, {:e})").
		Bind(dbx.Params{"j": c.ID, "e": c.ExpiresAt.Unix()}).Execute()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrUsed
	}
	return nil
}

// used reports whether c's token id was used already.
func used(app core.App, c *Claims) (bool, error) {
	var n int
	err := app.DB().NewQuery("SELECT COUNT(*) FROM _link_used WHERE jti = {:j}").Bind(dbx.Params{"j": c.ID}).Row(&n)
	return n > 0, err
}

// prune forgets token ids whose tokens have expired: they are refused as
// expired anyway.
func prune(app core.App) error {
	_, err := app.DB().NewQuery("DELETE FROM _link_used WHERE expires < {:t}").Bind(dbx.Params{"t": time.Now().Unix()}).Execute()
	return err
}
