package deliver

import (
	"encoding/json"
	"time"
)

// rewriteDue makes a stored job due now.
func rewriteDue(data []byte) []byte {
	var j Job
	if json.Unmarshal(data, &j) != nil {
		return data
	}
	j.Due = time.Now()
	out, _ := json.Marshal(j)
	return out
}
