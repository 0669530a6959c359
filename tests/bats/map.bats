#!/usr/bin/env bats
# memonline map: one cell per block (or group), a block range per row, a legend;
# plain letters off a terminal or with NO_COLOR.

load helpers

@test "plain map: one letter per block, the block range at each row start" {
	mkroot 0-7:online:DMA32 8-23:online:Normal 24-27:online:Movable 28:going-offline:Movable \
		29-31:offline 32-33:offline
	run -0 mo map --width 40
	assert_output " 0-31 KKKKKKKKKKKKKKKKKKKKKKKKMMMMG...
32-63 ..

K kernel (DMA, DMA32, Normal)  M movable  . offline  G going-offline
one cell = 1 block (128M); 34 blocks"
}

@test "rows fit the width, in powers of two" {
	mkroot 0-127:online
	run -0 mo map --width 80
	assert_line "  0-63  $(printf 'K%.0s' {1..64})"
	assert_line " 64-127 $(printf 'K%.0s' {1..64})"
	run -0 mo map --width 200
	assert_line "  0-127 $(printf 'K%.0s' {1..128})"
	run -0 mo map --width 20
	assert_line "  0-7   KKKKKKKK"
}

@test "a gap in the numbering is one line, with its size" {
	mkroot 0-3:online 8192-8193:offline:Normal,Movable:1
	run -0 mo map --width 40
	assert_line "      ...  (1023.5G without blocks)"
	assert_line "8192-8207 .."
}

@test "big machines: cells take groups of blocks to fit 32 rows" {
	mkroot 0-4095:online
	run -0 mo map --width 80
	assert_line "one cell = 2 blocks (256M), showing what most of its blocks are; 4096 blocks"
	[ "$(grep -c '^ *[0-9]*-[0-9]* ' <<<"$output")" -eq 32 ]
}

@test "--group sets the blocks per cell; a group shows its majority" {
	mkroot 0-2:offline 3:online 4-7:online:Movable
	run -0 mo map --width 40 --group 4
	assert_line "  0-127 .M"
	assert_line --partial "one cell = 4 blocks (512M)"
}

@test "spans zones and unreadable blocks get their own letters" {
	mkroot 0:online:none 1-2:online
	echo sideways >"$MEM/memory2/state"
	run -0 mo map --width 40
	assert_line " 0-31 +K?"
	assert_line "K kernel (DMA, DMA32, Normal)  M movable  . offline  G going-offline  + spans zones (none)  ? unreadable"
}

@test "color on a terminal, none with NO_COLOR or off a terminal" {
	require_tool script bsdextrautils
	mkroot 0-3:online 4-5:offline
	run -0 script -qec "'$MEMONLINE' --sysroot '$ROOT' map --width 40" /dev/null
	assert_output --partial $'\e[0;44;97mKKKK\e[0;100;97m..\e[0m'
	run -0 env NO_COLOR=1 script -qec "'$MEMONLINE' --sysroot '$ROOT' map --width 40" /dev/null
	refute_output --partial $'\e['
	run -0 mo map --width 40
	refute_output --partial $'\e['
}

@test "--color=always and --color=never override the guess" {
	mkroot 0-3:online
	run -0 env NO_COLOR=1 "$MEMONLINE" --sysroot "$ROOT" map --width 40 --color=always
	assert_output --partial $'\e[0;44;97mKKKK\e[0m'
	run -0 mo map --width 40 --color=never
	refute_output --partial $'\e['
}

@test "map rejects a bad width, group or color" {
	mkroot 0:online
	run -2 mo map --width 5
	assert_output --partial "--width: '5' is not a width from 20 to 1000"
	run -2 mo map --group 0
	run -2 mo map --color=rainbow
	assert_output --partial "--color: 'rainbow' is not auto, always or never"
}
