package hooks

import (
	"strconv"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/state"
)

// The answers of the webhooks API, byte for byte as bbb-webhooks writes
// them (src/out/webhooks/api/responses.js): no whitespace between the
// elements, callbackURL and meetingID in CDATA.

// Errors of the webhooks API, with bbb-webhooks' messageKeys and texts.
var (
	ErrMissingCallbackURL = &bbb.Error{Key: "missingParamCallbackURL", Message: "You must specify a callbackURL in the parameters."}
	ErrMissingHookID      = &bbb.Error{Key: "missingParamHookID", Message: "You must specify a hookID in the parameters."}
	ErrMissingHook        = &bbb.Error{Key: "destroyMissingHook", Message: "The hook informed was not found."}
	ErrCreate             = &bbb.Error{Key: "createHookError", Message: "An error happened while creating your hook. Check the logs."}
	ErrDestroy            = &bbb.Error{Key: "destroyHookError", Message: "An error happened while removing your hook. Check the logs."}
	ErrList               = &bbb.Error{Key: "listHookError", Message: "An error happened while listing registered hooks. Check the logs."}
	// ErrBadCallbackURL is tinyscale's own: bbb-webhooks would register
	// any string, and then fail every delivery until it drops the hook.
	ErrBadCallbackURL = &bbb.Error{Key: "createHookError", Message: "The callbackURL must be an absolute http or https URL."}
)

func cdata(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + "><![CDATA[")
	// "]]>" would end the section early: split it over two sections.
	b.WriteString(strings.ReplaceAll(text, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]></" + name + ">")
}

func createdXML(h state.Hook) []byte {
	return []byte("<response><returncode>SUCCESS</returncode><hookID>" + h.ID + "</hookID><permanentHook>false</permanentHook><rawData>" +
		strconv.FormatBool(h.Raw) + "</rawData></response>")
}

func duplicateXML(h state.Hook) []byte {
	return []byte("<response><returncode>SUCCESS</returncode><hookID>" + h.ID +
		"</hookID><messageKey>duplicateWarning</messageKey><message>There is already a hook for this callback URL.</message></response>")
}

var removedXML = []byte("<response><returncode>SUCCESS</returncode><removed>true</removed></response>")

func listXML(hooks []state.Hook) []byte {
	var b strings.Builder
	b.WriteString("<response><returncode>SUCCESS</returncode><hooks>")
	for _, h := range hooks {
		b.WriteString("<hook><hookID>" + h.ID + "</hookID>")
		cdata(&b, "callbackURL", h.CallbackURL)
		if h.MeetingID != "" {
			cdata(&b, "meetingID", h.MeetingID)
		}
		if len(h.EventIDs) > 0 {
			b.WriteString("<eventID>" + bbb.Escape(strings.Join(h.EventIDs, ",")) + "</eventID>")
		}
		b.WriteString("<permanentHook>false</permanentHook><rawData>" + strconv.FormatBool(h.Raw) + "</rawData></hook>")
	}
	b.WriteString("</hooks></response>")
	return []byte(b.String())
}
