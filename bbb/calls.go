package bbb

// Call names as they follow /bigbluebutton/api/ in a URL and as they enter
// the checksum. They are case-sensitive.
const (
	CallCreate                 = "create"
	CallJoin                   = "join"
	CallEnd                    = "end"
	CallIsMeetingRunning       = "isMeetingRunning"
	CallGetMeetingInfo         = "getMeetingInfo"
	CallGetMeetings            = "getMeetings"
	CallInsertDocument         = "insertDocument"
	CallSendChatMessage        = "sendChatMessage"
	CallGetRecordings          = "getRecordings"
	CallPublishRecordings      = "publishRecordings"
	CallUpdateRecordings       = "updateRecordings"
	CallDeleteRecordings       = "deleteRecordings"
	CallGetRecordingTextTracks = "getRecordingTextTracks"
	CallPutRecordingTextTrack  = "putRecordingTextTrack"
	CallHooksCreate            = "hooks/create"
	CallHooksDestroy           = "hooks/destroy"
	CallHooksList              = "hooks/list"
)
