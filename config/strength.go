package config

import "fmt"

// MinSecretLength is the shortest secret tinyscale takes without a
// warning, and the shortest admin token it starts with at all.
const MinSecretLength = 16

// CheckStrength refuses an admin token shorter than MinSecretLength (the
// admin API adds servers and tenants; a short token can be guessed) and
// returns warnings for a TINYSCALE_SECRET that short (refusing it would
// break setups whose integrations already use it).
func (e *Env) CheckStrength() (warnings []string, err error) {
	if n := len(e.AdminToken); n > 0 && n < MinSecretLength {
		return nil, fmt.Errorf("TINYSCALE_ADMIN_TOKEN is %d characters: use at least %d, e.g. TINYSCALE_ADMIN_TOKEN=$(openssl rand -hex 24)", n, MinSecretLength)
	}
	if n := len(e.Secret); n > 0 && n < MinSecretLength {
		warnings = append(warnings, WeakSecret("TINYSCALE_SECRET", n))
	}
	return warnings, nil
}

// WeakSecret is the warning for a secret of n characters, named by what.
func WeakSecret(what string, n int) string {
	return fmt.Sprintf("%s is only %d characters: a secret this short can be guessed; use at least %d (e.g. openssl rand -hex 32) when you next rotate it", what, n, MinSecretLength)
}
