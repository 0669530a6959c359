#!/usr/bin/env bats
# The man pages: lint-clean, installable as they are, and complete against
# what the command and the configuration parser actually accept.

load helpers

# A man page as text, with plain hyphens and no overstrike: what a reader
# searches.  (Not col -b: bsdextrautils is not in every build chroot.)
man_text() {
	mandoc -Tascii "$TOP/man/$1" | sed 's/.\x08//g'
}

# The commands memonline --help lists, one a line.
help_commands() {
	"$MEMONLINE" --help | sed -n '/^Commands:/,/^$/{/^ [a-z]/{s/^ \([a-z-]*\).*/\1/;p}}'
}

# The option lines of "memonline [CMD] --help", options only: "-x, --long".
help_option_lines() {
	"$MEMONLINE" "$@" --help | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//; s/ <.*//; s/[=[].*//'
}

@test "mandoc -Tlint reports no warning in any man page" {
	run -0 mandoc -Tlint -W warning "$TOP"/man/*.[0-9]
	assert_output ''
}

@test "groff, as lintian runs it, reports no warning" {
	local page
	require_tool man man-db
	for page in "$TOP"/man/*.[0-9]; do
		run -0 --separate-stderr env LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$page"
		echo "$page: $stderr"
		[[ -z $stderr ]]
	done
}

@test "no man page includes another: installed pages must stand alone" {
	run grep -lE '^\.(so|mso)[[:space:]]' "$TOP"/man/*.[0-9]
	assert_output ''
	run ls "$TOP"/man
	refute_output --regexp '\.inc$'
}

@test "memonline(8) documents every command memonline --help lists" {
	local text cmd
	text=$(man_text memonline.8)
	for cmd in $(help_commands); do
		echo "command: $cmd"
		grep -qE "^ +$cmd( |$)" <<<"$text"
		grep -qE "^ +memonline \[options\] $cmd( |$)" <<<"$text"
	done
}

@test "memonline(8) documents every option of every command's --help" {
	local text cmd line
	text=$(man_text memonline.8)
	for cmd in '' $(help_commands); do
		while read -r line; do
			echo "memonline $cmd: $line"
			grep -qF -- "$line" <<<"$text"
		done < <(help_option_lines $cmd)
	done
}

@test "memonline(8) documents every exit status a --help names" {
	local text cmd code
	text=$(man_text memonline.8 | sed -n '/^EXIT STATUS/,/^[A-Z]/p')
	for cmd in '' $(help_commands); do
		for code in $("$MEMONLINE" $cmd --help | sed -n '/^Exit status:/,/^$/p' |
				grep -oE '(^|[ ,:])[0-9]+ [a-z(]' | grep -oE '[0-9]+'); do
			echo "memonline $cmd: exit status $code"
			grep -qE "^ +$code( |\$)" <<<"$text"
		done
	done
}

@test "memonline.conf(5) documents every setting and rule key the parser knows" {
	local text keys key
	text=$(man_text memonline.conf.5)
	keys=$(grep -ohE 'strcmp\((words\[0\]|key), "[a-z-]+"\)' "$TOP"/lib/config.c |
		grep -oE '"[a-z-]+"' | tr -d '"' | sort -u)
	# The parser's shape is what this reads: when it changes, change this.
	assert [ "$(wc -l <<<"$keys")" -ge 6 ]
	for key in $keys; do
		echo "key: $key"
		grep -qE "(^ +$key |$key=)" <<<"$text"
	done
}

@test "memonline.conf(5) names every source and zone the parser accepts" {
	local text word
	text=$(man_text memonline.conf.5)
	for word in $(grep -ohE "is not one of [a-z, -]+" "$TOP"/lib/config.c |
			sed 's/is not one of//' | tr -d ','); do
		echo "word: $word"
		grep -qw -- "$word" <<<"$text"
	done
}

@test "the example config parses, and only repeats the built-in policy" {
	mkroot 0:online
	run -0 "$MEMONLINE" --sysroot "$ROOT" --config "$TOP/etc/memonline.conf" status
	run grep -vE '^[[:space:]]*(#|$)' "$TOP/etc/memonline.conf"
	assert_output ''
}

@test "the command, the man pages and both packages agree on the version" {
	local version
	version=$("$MEMONLINE" --version | cut -d' ' -f2)
	grep -q "\"memonline $version\"" "$TOP/man/memonline.8"
	grep -q "\"memonline $version\"" "$TOP/man/memonline.conf.5"
	grep -qx "memonline ($version) .*" <(head -1 "$TOP/debian/changelog")
	grep -qx "Version: *$version" "$TOP/packaging/rpm/memonline.spec"
}
