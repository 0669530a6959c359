#!/usr/bin/env bats
# The Prometheus alerting rules (prometheus/memonline-alerts.yml): valid for
# promtool, each alert firing and staying silent as its unit tests say
# (tests/prometheus/alerts.test.yml), and in memonline doctor's words.

load helpers

ALERTS=$TOP/prometheus/memonline-alerts.yml

@test "promtool accepts the rules, and their unit tests pass" {
	local promtool
	promtool=$(promtool_bin) || skip "no promtool (scripts/fetch-promtool, or Debian package prometheus)"
	run -0 "$promtool" check rules "$ALERTS"
	assert_output --partial "SUCCESS: 5 rules found"
	run -0 "$promtool" test rules "$TOP/tests/prometheus/alerts.test.yml"
	assert_output --partial "SUCCESS"
}

@test "every alert has its unit test, and docs/alerts.md explains it" {
	local name
	for name in $(sed -n 's/^ *- alert: //p' "$ALERTS"); do
		grep -q "alertname: $name$" "$TOP/tests/prometheus/alerts.test.yml" ||
			fail "$name has no promtool test"
		grep -q "^## $name$" "$TOP/docs/alerts.md" || fail "$name is not in docs/alerts.md"
	done
}

# alert_says TEXT: the rules file has TEXT in an alert's summary or description.
alert_says() {
	grep -qF -- "$1" "$ALERTS" || fail "no alert says: $1"
}

@test "the alerts say what memonline doctor says: offline blocks, nobody onlining" {
	mkroot 0-7:online 8-11:offline
	run mo doctor
	assert_output --partial "left offline: memory the guest pays for and cannot use"
	alert_says "blocks left offline: memory the guest pays for and cannot use"
	assert_output --partial "nobody onlines new memory"
	alert_says "nobody onlines new memory"
	local fix="install memonline's udev rule or enable memonline.service; added memory otherwise stays offline, unused"
	assert_output --partial "fix: $fix"
	alert_says "Fix: $fix"
}

@test "the alerts say what memonline doctor says: a stuck Xen balloon" {
	mkroot --xen 1048576:524288 0-3:online
	run mo doctor
	assert_output --partial "Xen balloon stuck: hotplug unsupported"
	alert_says "Xen balloon stuck: {{ \$labels.verdict }}"
	run -0 mo status --format prometheus
	assert_line 'memonline_xen_balloon_verdict{verdict="hotplug-unsupported"} 1'
	grep -q 'verdict=~"[^"]*hotplug-unsupported' "$ALERTS"
}
