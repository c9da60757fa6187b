package state

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopSharedRedis()
	os.Exit(code)
}
