// Package violation builds the errors of the domain contract: PocketBase's
// error shape with data.<field>.code set to the spec's rule code.
package violation

import (
	"errors"
	"fmt"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/tools/router"
)

// New is a 400 rule violation on field.
func New(field, code, format string, args ...any) *router.ApiError {
	return build(http.StatusBadRequest, field, code, fmt.Sprintf(format, args...))
}

// Forbidden is a 403 authorization failure on a visible record.
func Forbidden(field, code, format string, args ...any) *router.ApiError {
	return build(http.StatusForbidden, field, code, fmt.Sprintf(format, args...))
}

func build(status int, field, code, msg string) *router.ApiError {
	err := router.NewApiError(status, msg, validation.Errors{field: validation.NewError(code, msg)})
	// PocketBase capitalises a message's first letter: "Incurred_on …",
	// "Chao.yang@…". Ours are written as sentences already, field names
	// and addresses as they are.
	err.Message = msg
	return err
}

// Code returns the rule code of err's first field, or "".
func Code(err error) (field, code string) {
	var apiErr *router.ApiError
	if !errors.As(err, &apiErr) {
		return "", ""
	}
	for f, v := range apiErr.Data {
		if m, ok := v.(map[string]any); ok {
			c, _ := m["code"].(string)
			return f, c
		}
		if e, ok := v.(validation.Error); ok {
			return f, e.Code()
		}
	}
	return "", ""
}
