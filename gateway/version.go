package gateway

import "github.com/tinyscale/tinyscale/bbb"

// versionXML is the answer to the API root.
func (g *Gateway) versionXML() []byte { return bbb.VersionXML }
