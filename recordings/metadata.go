package recordings

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// metadataFile is the metadata.xml BBB's publish scripts write in every
// published format folder:
//
//	<recording>
//	  <id>…</id><state>published</state><published>true</published>
//	  <start_time>…</start_time><end_time>…</end_time><participants>3</participants>
//	  <raw_size>…</raw_size>
//	  <meeting id="…" externalId="…" name="…" breakout="false"/>
//	  <meta><isBreakout>false</isBreakout><meetingId>…</meetingId><meetingName>…</meetingName>…</meta>
//	  <breakout parentMeetingId="…" sequence="1" freeJoin="false"/>      (breakout rooms)
//	  <breakoutRooms><breakoutRoom>…</breakoutRoom></breakoutRooms>        (their parent)
//	  <playback>
//	    <format>presentation</format>
//	    <link>https://bbb.example.org/playback/presentation/2.3/…</link>
//	    <processing_time>7177</processing_time><duration>2015000</duration>
//	    <extensions><preview><images><image width="176" height="136" alt="…">https://…/thumb-1.png</image></images></preview></extensions>
//	    <size>…</size>
//	  </playback>
//	</recording>
//
// Numbers are read leniently (an empty element is 0), as bbb-web does.
type metadataFile struct {
	XMLName      xml.Name `xml:"recording"`
	ID           string   `xml:"id"`
	State        string   `xml:"state"`
	Published    string   `xml:"published"`
	StartTime    string   `xml:"start_time"`
	EndTime      string   `xml:"end_time"`
	Participants string   `xml:"participants"`
	RawSize      string   `xml:"raw_size"`
	Meeting      struct {
		ID         string `xml:"id,attr"`
		ExternalID string `xml:"externalId,attr"`
		Name       string `xml:"name,attr"`
		Breakout   string `xml:"breakout,attr"`
	} `xml:"meeting"`
	Meta struct {
		Items []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"meta"`
	Breakout *struct {
		ParentMeetingID string `xml:"parentMeetingId,attr"`
		Sequence        string `xml:"sequence,attr"`
		FreeJoin        string `xml:"freeJoin,attr"`
	} `xml:"breakout"`
	BreakoutRooms []string `xml:"breakoutRooms>breakoutRoom"`
	Playback      struct {
		Format         string `xml:"format"`
		Link           string `xml:"link"`
		ProcessingTime string `xml:"processing_time"`
		Duration       string `xml:"duration"`
		Size           string `xml:"size"`
		Images         []struct {
			Width  string `xml:"width,attr"`
			Height string `xml:"height,attr"`
			Alt    string `xml:"alt,attr"`
			URL    string `xml:",chardata"`
		} `xml:"extensions>preview>images>image"`
	} `xml:"playback"`
}

// maxMetadata bounds metadata.xml (a few KB in practice).
const maxMetadata = 4 << 20

func parseMetadata(r io.Reader) (*metadataFile, error) {
	var m metadataFile
	if err := xml.NewDecoder(io.LimitReader(r, maxMetadata)).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: metadata.xml: %v", ErrBadUpload, err)
	}
	return &m, nil
}

func num(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

// recordData is what the index keeps of a recording besides the fields it
// filters by (state.StoredRecording.Data, JSON).
type recordData struct {
	InternalMeetingID string `json:"internal_meeting_id"`
	// BBBMeetingID is the meeting ID BBB saw (a tenant's carries its
	// prefix); the entry's MeetingID is the tenant's own.
	BBBMeetingID  string        `json:"bbb_meeting_id"`
	Name          string        `json:"name"`
	IsBreakout    bool          `json:"is_breakout"`
	Breakout      *breakoutInfo `json:"breakout,omitempty"`
	BreakoutRooms []string      `json:"breakout_rooms,omitempty"`
	EndTime       int64         `json:"end_time"`
	Participants  int64         `json:"participants"`
	RawSize       int64         `json:"raw_size"`
	Origin        string        `json:"origin,omitempty"`
	Formats       []formatData  `json:"formats"`
	// Tracks are the text tracks uploaded to tinyscale, their files in
	// the CaptionsFormat version CaptionsVersion (texttracks.go).
	Tracks          []trackData `json:"tracks,omitempty"`
	CaptionsVersion string      `json:"captions_version,omitempty"`
}

type breakoutInfo struct {
	ParentID string `json:"parent_id"`
	Sequence string `json:"sequence"`
	FreeJoin string `json:"free_join"`
}

// formatData is one stored playback format.
type formatData struct {
	Type    string `json:"type"`
	Version string `json:"version"`
	// Link is the playback URL's path and query on the origin
	// (/playback/presentation/2.3/<id>): under TINYSCALE_URL it stays.
	Link           string      `json:"link"`
	ProcessingTime int64       `json:"processing_time"`
	Duration       int64       `json:"duration"` // milliseconds
	Size           int64       `json:"size"`
	Images         []imageData `json:"images,omitempty"`
	SHA256         string      `json:"sha256,omitempty"`
	Origin         string      `json:"origin,omitempty"`
}

type imageData struct {
	Width, Height, Alt string
	// Path is the image URL's path and query.
	Path string `json:"path"`
}

// pathOf keeps a URL's path and query: the part that stays when the host
// becomes tinyscale's.
func pathOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
