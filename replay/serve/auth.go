package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authenticator checks a request's credential. It keeps only a hash of the
// credential, and compares hashes in constant time, so that neither the
// value nor its length shows in the time an answer takes.
type authenticator struct {
	mode          string // as Auth.Mode
	want          [sha256.Size]byte
	header, param string // API key
	challenge     string // WWW-Authenticate
}

const realm = `realm="replay serve"`

func newAuthenticator(a Auth) authenticator {
	au := authenticator{mode: a.Mode()}
	switch au.mode {
	case "bearer":
		au.want = sha256.Sum256([]byte(a.BearerToken))
		au.challenge = "Bearer " + realm
	case "apiKey":
		au.want = sha256.Sum256([]byte(a.APIKey))
		au.header, au.param = a.APIKeyHeader, a.APIKeyParam
		if au.header == "" {
			au.header = DefaultAPIKeyHeader
		}
		if au.param == "" {
			au.param = DefaultAPIKeyParam
		}
	case "basic":
		au.want = sha256.Sum256([]byte(a.Username + ":" + a.Password))
		au.challenge = "Basic " + realm + `, charset="UTF-8"`
	}
	return au
}

// allow reports whether r carries the credential.
func (au *authenticator) allow(r *http.Request) bool {
	var got string
	switch au.mode {
	case "none":
		return true
	case "bearer":
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		got = strings.TrimSpace(token)
	case "apiKey":
		if vs := r.Header.Values(au.header); len(vs) > 0 {
			got = vs[0]
		} else if vs := r.URL.Query()[au.param]; len(vs) > 0 {
			got = vs[0]
		} else {
			return false
		}
	case "basic":
		user, pass, ok := r.BasicAuth()
		if !ok {
			return false
		}
		got = user + ":" + pass
	}
	h := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(h[:], au.want[:]) == 1
}

// deny answers 401.
func (au *authenticator) deny(w http.ResponseWriter) {
	if au.challenge != "" {
		w.Header().Set("WWW-Authenticate", au.challenge)
	}
	msg := "unauthorized: this server wants " + au.describe() + "\n"
	writeText(w, http.StatusUnauthorized, msg)
}

// describe says what credential is wanted, without its value.
func (au *authenticator) describe() string {
	switch au.mode {
	case "bearer":
		return "a bearer token (Authorization: Bearer TOKEN)"
	case "apiKey":
		return "an API key in the header " + au.header + " or the query parameter " + au.param
	case "basic":
		return "basic auth"
	}
	return "nothing"
}
