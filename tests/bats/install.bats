#!/usr/bin/env bats
# make install, install-strip and uninstall, as packagers run them: into a
# DESTDIR, with the paths they choose, never touching the running system.

load helpers

# A copy of what installing reads, with the built binary: installing from
# $TOP would regenerate the rule and the unit in the work tree.
setup() {
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	cp -r "$TOP"/{Makefile,udev,systemd,man,etc,completion,prometheus} "$SRC"/
	rm -f "$SRC"/udev/*.rules "$SRC"/systemd/*.service
	# No sources: an archive older than the binary keeps make from building.
	mkdir -p "$SRC/lib"
	touch -d '2000-01-01' "$SRC/lib/libmemonline.a"
	cp "$MEMONLINE" "$SRC/memonline"
	DEST=$BATS_TEST_TMPDIR/dest
	# systemctl and udevadm as they would be found, recording any call.
	STUBS=$BATS_TEST_TMPDIR/stubs
	CALLS=$BATS_TEST_TMPDIR/calls
	mkdir -p "$STUBS"
	for t in systemctl udevadm; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$t" "$CALLS" >"$STUBS/$t"
		chmod +x "$STUBS/$t"
	done
}

# mk [-s] TARGET [VAR=VALUE...]: make in the copy, in an environment of its
# own: a make running this suite exports its command line's variables and
# flags (debian/rules and the spec pass PREFIX, BINDIR, V=1 ...).
mk() {
	env -i PATH="$STUBS:$PATH" make --no-print-directory -C "$SRC" "$@"
}

# Every file and directory below $DEST, relative, sorted.
tree() {
	(cd "$DEST" && find . -mindepth 1 | sed 's|^\./||' | sort)
}

DISTRO_DIRS=(PREFIX=/usr UDEVDIR=/usr/lib/udev SYSTEMDUNITDIR=/usr/lib/systemd/system
	BASHCOMPDIR=/usr/share/bash-completion/completions)

@test "make install lays out every file where a distribution expects it" {
	mk -s install DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	run tree
	assert_line etc/memonline.conf
	assert_line etc/memonline.conf.d
	assert_line usr/bin/memonline
	assert_line usr/share/man/man8/memonline.8
	assert_line usr/share/man/man5/memonline.conf.5
	assert_line usr/lib/udev/rules.d/85-memonline.rules
	assert_line usr/lib/systemd/system/memonline.service
	assert_line usr/share/bash-completion/completions/memonline
	assert_line usr/share/memonline/memonline-alerts.yml
	assert_file_executable "$DEST/usr/bin/memonline"
}

@test "the installed rule and unit run the installed binary" {
	mk -s install DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	run grep -h 'memonline' "$DEST"/usr/lib/udev/rules.d/85-memonline.rules \
		"$DEST"/usr/lib/systemd/system/memonline.service
	assert_line --partial 'RUN+="/usr/bin/memonline '
	assert_line --partial 'ExecStart=/usr/bin/memonline '
	refute_output --regexp '@[A-Z]+@'
}

@test "a later install with another PREFIX remakes the rule for it" {
	mk -s all
	mk -s install DESTDIR="$DEST" "${DISTRO_DIRS[@]}" PREFIX=/opt/mo
	run -0 grep -c 'RUN+="/opt/mo/bin/memonline ' "$DEST"/usr/lib/udev/rules.d/85-memonline.rules
}

@test "make install and uninstall never run systemctl or udevadm" {
	mk -s install DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	mk -s uninstall DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	assert_file_not_exists "$CALLS"
}

@test "UDEVDIR, SYSTEMDUNITDIR, BASHCOMPDIR, MANDIR, SYSCONFDIR: each overridable" {
	mk -s install DESTDIR="$DEST" PREFIX=/p UDEVDIR=/u SYSTEMDUNITDIR=/s BASHCOMPDIR=/b \
		MANDIR=/m SYSCONFDIR=/c BINDIR=/x
	run tree
	assert_line u/rules.d/85-memonline.rules
	assert_line s/memonline.service
	assert_line b/memonline
	assert_line m/man8/memonline.8
	assert_line c/memonline.conf
	assert_line x/memonline
}

@test "without overrides the udev, systemd and completion dirs come from pkg-config" {
	cat >"$STUBS/pkg-config" <<-'EOF'
		#!/bin/sh
		case "$*" in
		*udevdir*udev) echo /pc/udev ;;
		*systemdsystemunitdir*systemd) echo /pc/units ;;
		*completionsdir*bash-completion) echo /pc/completions ;;
		*) exec /usr/bin/pkg-config "$@" ;;
		esac
	EOF
	chmod +x "$STUBS/pkg-config"
	mk -s install DESTDIR="$DEST" PREFIX=/usr
	run tree
	assert_line pc/udev/rules.d/85-memonline.rules
	assert_line pc/units/memonline.service
	assert_line pc/completions/memonline
}

@test "an existing memonline.conf is the admin's: install keeps it" {
	mkdir -p "$DEST/etc"
	echo 'ratio 100' >"$DEST/etc/memonline.conf"
	run -0 mk install DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	assert_output --partial "KEEP"
	assert_equal "$(cat "$DEST/etc/memonline.conf")" 'ratio 100'
}

@test "uninstall removes every installed file but the admin's config" {
	mk -s install DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	mk -s uninstall DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	run -0 find "$DEST" -type f
	assert_output "$DEST/etc/memonline.conf"
}

@test "install-strip installs a binary without symbols" {
	mk -s install-strip DESTDIR="$DEST" "${DISTRO_DIRS[@]}"
	run -0 readelf -S "$DEST/usr/bin/memonline"
	refute_output --partial '.symtab'
	run -0 readelf -S "$SRC/memonline"
	assert_output --partial '.symtab'
}

@test "V=1 shows the commands make runs" {
	run -0 mk V=1 all
	assert_output --partial "sed -e 's|@BINDIR@|"
	rm "$SRC"/udev/*.rules
	run -0 mk all
	assert_output --partial "GEN     udev/"
	refute_output --partial "sed -e"
}
