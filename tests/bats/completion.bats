#!/usr/bin/env bats
# bash completion: completion/memonline sourced and driven as bash drives it,
# through COMP_WORDS and COMP_CWORD; and kept in step with every --help.

load helpers

setup() {
	# shellcheck source=../../completion/memonline
	source "$TOP/completion/memonline"
	# Outside a real completion compopt fails; record what was asked instead.
	compopt() { COMPOPT+=" $*"; }
	COMPOPT=
}

# comp WORD...: complete the last word; the candidates, one a line, sorted.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_memonline
	if ((${#COMPREPLY[@]})); then
		printf '%s\n' "${COMPREPLY[@]}" | sort
	fi
}

# The commands memonline --help lists, one a line.
help_commands() {
	"$MEMONLINE" --help | sed -n '/^Commands:/,/^$/{/^ [a-z]/{s/^ \([a-z-]*\).*/\1/;p}}'
}

# Every option the option lines of "memonline [CMD] --help" name, one a line:
# "-x, --long <arg>", "    --long", "-w, --wait[=TIMEOUT]", before the text.
help_options() {
	"$MEMONLINE" "$@" --help | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' |
		grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[ ,]*//' | sort -u
}

@test "the first word completes to every command memonline --help lists" {
	run -0 comp memonline ''
	assert_output "$(help_commands | sort)"
}

@test "a command completes from its prefix" {
	run -0 comp memonline of
	assert_output offline
}

@test "the global options are those memonline --help lists" {
	run -0 comp memonline -
	assert_output "$(help_options)"
}

@test "every option of every command's --help is completed, and no other" {
	local cmd global
	global=$(help_options | grep -vxE -- '-V|--version')
	for cmd in $(help_commands); do
		echo "memonline $cmd --help:"
		run -0 comp memonline "$cmd" -
		assert_output "$(sort -u <(help_options "$cmd") <(echo "$global"))"
	done
}

@test "long options complete from their prefix" {
	run -0 comp memonline list --no
	assert_output --noheadings
	run -0 comp memonline online --d
	assert_output --dry-run
}

@test "the command is found after global options and their values" {
	run -0 comp memonline --sysroot /tmp -c /etc/memonline.conf -v online --a
	assert_output --all
	run -0 comp memonline --sysroot = /tmp status -
	assert_line --json
	refute_line --all
}

@test "--zone completes to the zones online --help names" {
	run -0 comp memonline online --zone ''
	assert_output "$(printf '%s\n' default kernel movable)"
	run -0 "$MEMONLINE" online --help
	assert_output --partial "movable, kernel or default"
}

@test "--zone=VALUE completes whether or not '=' split the word" {
	run -0 comp memonline online --zone = m
	assert_output movable
	run -0 comp memonline online --zone =
	assert_line kernel
	run -0 comp memonline online -z k
	assert_output kernel
}

@test "--events completes to the groups watch --help names" {
	run -0 comp memonline watch --events ''
	assert_output "$(printf '%s\n' auto kernel udev)"
	run -0 "$MEMONLINE" watch --help
	assert_output --regexp "auto .*udev.*kernel"
}

@test "-o completes the columns list --help lists, comma after comma" {
	local cols
	cols=$("$MEMONLINE" list --help | sed -n '/^Columns:/,/^$/{/^ /{s/^ *\([A-Z]*\).*/\1,/;p}}')
	run -0 comp memonline list -o ''
	assert_output "$(sort <<<"$cols")"
	run -0 comp memonline list --output RANGE,S
	assert_output "$(printf '%s\n' RANGE,SIZE, RANGE,SOURCE, RANGE,STATE,)"
}

@test "-o offers a column once" {
	run -0 comp memonline list -o RANGE,SIZE,
	refute_line --partial RANGE,SIZE,RANGE
	refute_line --partial RANGE,SIZE,SIZE
	assert_line RANGE,SIZE,STATE,
}

@test "-o asks bash for no space after a column" {
	comp memonline list -o R >/dev/null
	[[ $COMPOPT == *nospace* ]]
}

@test "online completes the offline blocks of --sysroot" {
	mkroot 0-1:online 2-3:offline 4:online
	run -0 comp memonline --sysroot "$ROOT" online ''
	assert_output "$(printf '%s\n' memory2 memory3)"
}

@test "offline completes the online blocks of --sysroot=DIR" {
	mkroot 0-1:online 2-3:offline 10:online
	run -0 comp memonline "--sysroot=$ROOT" offline memory1
	assert_output "$(printf '%s\n' memory1 memory10)"
}

@test "blocks come from MEMONLINE_SYSROOT when no --sysroot is given" {
	mkroot 0:online 1:offline
	MEMONLINE_SYSROOT=$ROOT run -0 comp memonline online ''
	assert_output memory1
}

@test "a sysroot without memory blocks completes nothing" {
	run -0 comp memonline --sysroot "$BATS_TEST_TMPDIR" online ''
	assert_output ''
}

@test "--sysroot completes directories, --config files" {
	mkdir -p "$BATS_TEST_TMPDIR/tree/sys"
	: >"$BATS_TEST_TMPDIR/tree/policy.conf"
	run -0 comp memonline --sysroot "$BATS_TEST_TMPDIR/tree/"
	assert_output "$BATS_TEST_TMPDIR/tree/sys"
	run -0 comp memonline status --config "$BATS_TEST_TMPDIR/tree/p"
	assert_output "$BATS_TEST_TMPDIR/tree/policy.conf"
}

@test "an option's numeric value completes to nothing" {
	run -0 comp memonline offline --timeout ''
	assert_output ''
}

@test "a file name with a space stays one candidate" {
	: >"$BATS_TEST_TMPDIR/my policy.conf"
	run -0 comp memonline -c "$BATS_TEST_TMPDIR/my"
	assert_output "$BATS_TEST_TMPDIR/my policy.conf"
}

@test "status --format completes to text, json and prometheus" {
	run -0 comp memonline status --format ''
	assert_output "$(printf '%s\n' json prometheus text)"
	run -0 "$MEMONLINE" status --help
	assert_output --regexp "text, json, or prometheus"
}

@test "an optional value completes only after '=': map --color=, target --wait" {
	run -0 comp memonline map --color = a
	assert_output "$(printf '%s\n' always auto)"
	run -0 comp memonline map --color=n
	assert_output never
	# target's -w is --wait[=T]: the next word is not its value.
	run -0 comp memonline target -w --j
	assert_output --json
}

@test "the same short option can take a value in one command and not another" {
	run -0 comp memonline map -w ''
	assert_output ''
	run -0 comp memonline map -w 80 --g
	assert_output --group
}
