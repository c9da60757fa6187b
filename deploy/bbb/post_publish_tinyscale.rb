#!/usr/bin/ruby
# frozen_string_literal: true

# post_publish_tinyscale.rb: pushes each published recording format to
# tinyscale's recording store, so the recording outlives this BBB server.
#
# Install (docs/recordings.md):
#   install -m 0755 tinyscale /usr/local/bin/tinyscale
#   install -m 0644 post_publish_tinyscale.rb /usr/local/bigbluebutton/core/scripts/post_publish/
#   echo 'TINYSCALE_URL=https://lb.example.org' > /etc/bigbluebutton/tinyscale.env
#
# BBB runs every script in scripts/post_publish/ after a format is
# published, as `ruby <script> -m <record_id> -f <format>`; without -f
# (run by hand, or for a batch) every published format of the recording is
# pushed. The secret is this server's own securitySalt, which the
# tinyscale command reads from bbb-web's properties: nothing else to
# configure. `tinyscale recordings push` exits 0 only once tinyscale has
# stored the folder durably, retrying on its own for up to 10 minutes; a
# failure here is logged and the script fails, so that `bbb-record
# --rebuild` or the batch loop in docs/recordings.md can push again.

require "optparse"
require "psych"

ENV_FILE = ENV.fetch("TINYSCALE_ENV_FILE", "/etc/bigbluebutton/tinyscale.env")
TINYSCALE = ENV.fetch("TINYSCALE_BIN", "/usr/local/bin/tinyscale")

record_id = nil
format = nil
OptionParser.new do |opts|
  opts.on("-m", "--meeting-id ID", "Record ID (the internal meeting ID)") { |v| record_id = v }
  opts.on("-f", "--format FORMAT", "The playback format just published") { |v| format = v.to_s.strip.downcase }
end.parse!

raise "post_publish_tinyscale: no record ID (-m)" if record_id.nil? || record_id.empty?
raise "post_publish_tinyscale: bad record ID #{record_id.inspect}" unless record_id.match?(/\A[0-9A-Za-z_-]+\z/)
raise "post_publish_tinyscale: bad format #{format.inspect}" if format && !format.match?(/\A[a-z0-9_-]+\z/)

# TINYSCALE_URL (and anything else the command reads) from the env file.
env = {}
if File.file?(ENV_FILE)
  File.foreach(ENV_FILE) do |line|
    line = line.strip
    next if line.empty? || line.start_with?("#")

    key, value = line.split("=", 2)
    env[key.strip] = value.to_s.strip.delete_prefix('"').delete_suffix('"') if key && value
  end
end
raise "post_publish_tinyscale: set TINYSCALE_URL in #{ENV_FILE}" if env.fetch("TINYSCALE_URL", ENV["TINYSCALE_URL"]).to_s.empty?

# Where BBB publishes: published_dir of its recording configuration.
published_dir = "/var/bigbluebutton/published"
["/usr/local/bigbluebutton/core/scripts/bigbluebutton.yml", "/etc/bigbluebutton/recording/recording.yml"].each do |file|
  next unless File.file?(file)

  props = Psych.load_file(file) || {}
  published_dir = props["published_dir"] if props["published_dir"]
end

published_dir = ENV["TINYSCALE_PUBLISHED_DIR"] if ENV["TINYSCALE_PUBLISHED_DIR"]
dirs = if format
         [File.join(published_dir, format, record_id)]
       else
         Dir.glob(File.join(published_dir, "*", record_id)).select { |d| File.directory?(d) }.sort
       end
dirs.select! { |d| File.file?(File.join(d, "metadata.xml")) }
if dirs.empty?
  puts "post_publish_tinyscale: #{record_id}: no published folder to push"
  exit 0
end

puts "post_publish_tinyscale: pushing #{dirs.join(' ')}"
ok = system(env, TINYSCALE, "recordings", "push", *dirs)
raise "post_publish_tinyscale: #{record_id}: tinyscale did not store it (see above)" unless ok

puts "post_publish_tinyscale: #{record_id}: stored in tinyscale"
