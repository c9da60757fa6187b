// Package e2e holds tinyscale's end-to-end test: the real tinyscale binary
// in front of fake BBB servers, driven by a real third-party BBB client,
// the npm package bigbluebutton-js (client.js). The test needs Node.js 20+
// and npm; it skips without them, except under CI=true, where it fails.
package e2e
