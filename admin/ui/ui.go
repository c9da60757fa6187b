// Package ui holds the admin dashboard's files: plain HTML, CSS and
// JavaScript, embedded in the binary, with no build step and nothing
// loaded from the internet. Package admin serves them at /admin/.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Static is the dashboard's files, at its root (index.html, app.js, ...).
var Static, _ = fs.Sub(files, "static")
