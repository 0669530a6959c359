#!/usr/bin/env bats
# memonline list against the installed lsmem on util-linux's own sysfs dumps
# (x86_64, s390x z/VM, and aarch64 with 16K pages in newer releases), with
# the invocations of util-linux's tests/ts/lsmem/lsmem: byte for byte.
# The dumps come from Debian's util-linux source (scripts/fetch-lsmem-dumps).

load helpers

setup_file() {
	export DUMPS
	DUMPS=$("$TOP/scripts/fetch-lsmem-dumps") || DUMPS=
}

COLS=RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE
# lsmem's default columns, which memonline's default replaces.
LSMEM_DEFAULT=RANGE,SIZE,STATE,REMOVABLE,BLOCK

# same NAME LSMEM-ARGS -- MEMONLINE-ARGS: both on the dump, compared whole.
same() {
	local tree=$1
	shift
	local lsmem_args=() mo_args=()
	while [ "$1" != -- ]; do lsmem_args+=("$1"); shift; done
	shift
	mo_args=("$@")
	run -0 --separate-stderr lsmem --sysroot "$tree" "${lsmem_args[@]}"
	local want=$output
	run -0 --separate-stderr "$MEMONLINE" --sysroot "$tree" list "${mo_args[@]}"
	assert_equal "$output" "$want"
}

@test "list prints what lsmem prints on each of util-linux's dumps" {
	if [ -z "$DUMPS" ]; then
		skip "util-linux's dumps could not be fetched (no Debian deb-src access)"
	fi
	local dump tree n=0
	for dump in "$DUMPS"/*.tar.bz2; do
		tree=$BATS_TEST_TMPDIR/$(basename "$dump" .tar.bz2)
		mkdir -p "$BATS_TEST_TMPDIR"
		tar -xjf "$dump" -C "$BATS_TEST_TMPDIR"
		[ -d "$tree/sys/devices/system/memory" ]
		same "$tree" --split=STATE,REMOVABLE -- -o $LSMEM_DEFAULT --split=STATE,REMOVABLE
		same "$tree" --output RANGE,SIZE --split none -- --output RANGE,SIZE --split none
		same "$tree" --output RANGE,SIZE,STATE --split STATE -- \
			--output RANGE,SIZE,STATE --split STATE
		same "$tree" --all --output $COLS -- --all --output $COLS
		same "$tree" --raw --output $COLS --split $COLS -- --raw --output $COLS --split $COLS
		same "$tree" --json --output $COLS --split $COLS -- --json --output $COLS --split $COLS
		same "$tree" -o +ZONES -- -o $LSMEM_DEFAULT,ZONES
		same "$tree" -- -o $LSMEM_DEFAULT
		same "$tree" -P -o RANGE,STATE,NODE,ZONES -- -P -o RANGE,STATE,NODE,ZONES
		same "$tree" --summary=only -b -- --summary=only -b
		# memonline's --output-all adds SOURCE: lsmem's are the others.
		same "$tree" --output-all -- -o $COLS,ZONES
		n=$((n + 1))
	done
	# Debian's util-linux has had x86_64 and s390x dumps since 2.30.
	[ "$n" -ge 2 ]
}
