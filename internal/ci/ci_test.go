package ci

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnabled(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "0": false, "false": false, "FALSE": false, "no": false, "off": false,
		"true": true, "1": true, "yes": true, "TRUE": true, "woodpecker": true,
	} {
		t.Setenv("CI", v)
		if got := Enabled(); got != want {
			t.Errorf("CI=%q: Enabled() = %v, want %v", v, got, want)
		}
	}
}

// TestNoSilentSkips holds every test in the repository to the rule that
// nothing skips under the CI command: a Skip call must be ci.Skip (which
// fails under CI) or sit in an `if testing.Short()` block (CI does not
// pass -short).
func TestNoSilentSkips(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") || filepath.Dir(path) == "." {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		checkSkips(t, fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkSkips reports every t.Skip/Skipf/SkipNow call outside an
// `if testing.Short()` statement.
func checkSkips(t *testing.T, fset *token.FileSet, f *ast.File) {
	var walk func(n ast.Node, short bool)
	walk = func(n ast.Node, short bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			if m == n {
				return true
			}
			if is, ok := m.(*ast.IfStmt); ok && mentionsShort(is.Cond) {
				walk(is.Body, true)
				if is.Else != nil {
					walk(is.Else, short)
				}
				return false
			}
			call, ok := m.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "Skip", "Skipf", "SkipNow":
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "ci" {
					return true
				}
				if !short {
					t.Errorf("%s: %s.%s outside `if testing.Short()`: use ci.Skip, which fails under CI", fset.Position(call.Pos()), exprString(sel.X), sel.Sel.Name)
				}
			}
			return true
		})
	}
	walk(f, false)
}

func mentionsShort(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Short" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "testing" {
				found = true
			}
		}
		return !found
	})
	return found
}

func exprString(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "?"
}
