// client.js drives tinyscale with the third-party BBB client library
// bigbluebutton-js 0.2.0, as an integration would: it builds SHA-1 signed
// URLs with Node's querystring encoding, and its http helper parses the XML.
// Redirects are checked with Node's fetch, without following them, so that
// each hop of a join can be asserted.
//
// Run by e2e_test.go with:
//   TINYSCALE_URL     tinyscale's base, http://127.0.0.1:PORT/bigbluebutton/
//   TINYSCALE_SECRET  tinyscale's client secret
//   BBB_SERVERS       the fake BBB servers' API URLs, space-separated
//   MEETING_ID, MEETING_NAME, FULL_NAME  what to create and join with
//
// It prints each check and exits 1 at the first that fails.
'use strict'

const bbb = require('bigbluebutton-js')

function env(name) {
  const v = process.env[name]
  if (!v) fail(`environment variable ${name} is not set`)
  return v
}

function fail(msg) {
  console.log(`FAIL: ${msg}`)
  process.exit(1)
}

function check(cond, msg, got) {
  if (!cond) fail(got === undefined ? msg : `${msg}; got ${JSON.stringify(got)}`)
  console.log(`ok   ${msg}`)
}

// unxml decodes the XML entities bigbluebutton-js's parser leaves in text.
function unxml(v) {
  return String(v)
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}

// html escapes text as the fake server's pages do (Go's html.EscapeString).
function html(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;').replace(/'/g, '&#39;')
}

// meetingsOf returns the <meeting> list of a parsed getMeetings answer;
// the library leaves an empty <meetings/> as "".
function meetingsOf(res) {
  return Array.isArray(res.meetings) ? res.meetings : []
}

async function getManual(url) {
  const res = await fetch(url, { redirect: 'manual' })
  return { status: res.status, location: res.headers.get('location'), body: await res.text() }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function main() {
  if (typeof fetch !== 'function') fail(`Node ${process.version} has no fetch; use Node 20 or later`)
  const base = env('TINYSCALE_URL')
  const api = bbb.api(base, env('TINYSCALE_SECRET'))
  const servers = env('BBB_SERVERS').split(/\s+/).filter(Boolean)
  const id = env('MEETING_ID')
  const name = env('MEETING_NAME')
  const fullName = env('FULL_NAME')
  console.log(`tinyscale ${base}, ${servers.length} BBB servers, meetingID ${JSON.stringify(id)}`)

  // create
  let res = await bbb.http(api.administration.create(name, id, { record: false, welcome: 'Hello & welcome' }))
  check(res.returncode === 'SUCCESS', 'create answers SUCCESS', res)
  check(unxml(res.meetingID) === id, 'create answers the exact meetingID', res.meetingID)

  // join: tinyscale redirects to the server holding the meeting
  const joinURL = api.administration.join(fullName, id, undefined, { role: 'MODERATOR' })
  let hop = await getManual(joinURL)
  check(hop.status === 302, 'join answers 302', hop.status)
  const server = servers.find((s) => hop.location && hop.location.startsWith(s + '/join?'))
  check(server !== undefined, "join redirects to a BBB server's /bigbluebutton/api/join", hop.location)

  // the BBB server's own join redirects to its client
  hop = await getManual(hop.location)
  check(hop.status === 302, "the BBB server's join answers 302", { status: hop.status, body: hop.body })
  const client = new URL(server).origin + '/html5client/join?sessionToken='
  check(hop.location && hop.location.startsWith(client), `it redirects to ${client}…`, hop.location)

  hop = await getManual(hop.location)
  check(hop.status === 200, 'the client page answers 200', hop.status)
  check(hop.body.includes(html(id)), 'the client page shows the exact meetingID', hop.body)
  check(hop.body.includes(html(fullName)), 'the client page shows the exact fullName', hop.body)
  check(hop.body.includes('MODERATOR'), 'the user joined as moderator', hop.body)

  // getMeetings lists it
  res = await bbb.http(api.monitoring.getMeetings())
  check(res.returncode === 'SUCCESS', 'getMeetings answers SUCCESS', res)
  const listed = meetingsOf(res).find((m) => unxml(m.meetingID) === id)
  check(listed !== undefined, 'getMeetings lists the meeting with its exact meetingID', meetingsOf(res).map((m) => m.meetingID))
  check(unxml(listed.meetingName) === name, 'getMeetings gives its exact name', listed.meetingName)

  // isMeetingRunning
  res = await bbb.http(api.monitoring.isMeetingRunning(id))
  check(res.returncode === 'SUCCESS' && String(res.running) === 'true', 'isMeetingRunning answers running=true', res)

  // end
  res = await bbb.http(api.administration.end(id, undefined))
  check(res.returncode === 'SUCCESS', 'end answers SUCCESS', res)

  // BBB ends meetings asynchronously: allow it a few seconds.
  let ids
  for (let i = 0; i < 50; i++) {
    res = await bbb.http(api.monitoring.getMeetings())
    if (res.returncode !== 'SUCCESS') break
    ids = meetingsOf(res).map((m) => unxml(m.meetingID))
    if (!ids.includes(id)) break
    await sleep(200)
  }
  check(res.returncode === 'SUCCESS', 'getMeetings after end answers SUCCESS', res)
  check(!ids.includes(id), 'getMeetings no longer lists the meeting', ids)
  if (ids.length === 0) {
    check(res.messageKey === 'noMeetings', 'an empty getMeetings has messageKey noMeetings', res)
  }

  res = await bbb.http(api.monitoring.isMeetingRunning(id))
  check(res.returncode === 'SUCCESS' && String(res.running) === 'false', 'isMeetingRunning answers running=false after end', res)

  console.log('PASS: bigbluebutton-js works through tinyscale')
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)))
