package testbed_test

import (
	"os"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }
