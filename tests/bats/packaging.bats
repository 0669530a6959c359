#!/usr/bin/env bats
# The packaging that is cheap to check on every run: scripts/deb-extract on a
# small .deb made here, and the RPM spec as rpm parses it.  Building the real
# packages (scripts/build-deb, scripts/build-rpm) is CI's separate step.

load helpers

# A .deb with a udev rule under /lib and a binary under /usr/bin.
mkdeb() {
	local pkg=$BATS_TEST_TMPDIR/pkg
	mkdir -p "$pkg/DEBIAN" "$pkg/lib/udev/rules.d" "$pkg/usr/bin"
	printf 'Package: t\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' \
		>"$pkg/DEBIAN/control"
	echo 'SUBSYSTEM=="memory"' >"$pkg/lib/udev/rules.d/85-t.rules"
	printf '#!/bin/sh\n' >"$pkg/usr/bin/t"
	chmod +x "$pkg/usr/bin/t"
	dpkg-deb --root-owner-group -b "$pkg" "$BATS_TEST_TMPDIR/t.deb" >/dev/null
}

@test "deb-extract unpacks a .deb into a root and lists the files it placed" {
	mkdeb
	run -0 "$TOP/scripts/deb-extract" "$BATS_TEST_TMPDIR/t.deb" "$BATS_TEST_TMPDIR/root"
	assert_output "$(printf '%s\n' lib/udev/rules.d/85-t.rules usr/bin/t)"
	assert_file_executable "$BATS_TEST_TMPDIR/root/usr/bin/t"
}

@test "deb-extract keeps a merged /usr root merged" {
	mkdeb
	mkdir -p "$BATS_TEST_TMPDIR/root/usr/lib"
	ln -s usr/lib "$BATS_TEST_TMPDIR/root/lib"
	run -0 "$TOP/scripts/deb-extract" "$BATS_TEST_TMPDIR/t.deb" "$BATS_TEST_TMPDIR/root"
	assert_link_exists "$BATS_TEST_TMPDIR/root/lib"
	assert_file_exists "$BATS_TEST_TMPDIR/root/usr/lib/udev/rules.d/85-t.rules"
}

@test "deb-extract names a missing .deb" {
	run -1 "$TOP/scripts/deb-extract" "$BATS_TEST_TMPDIR/none.deb" "$BATS_TEST_TMPDIR/root"
	assert_output --partial "none.deb: no such file"
}

@test "the RPM spec parses, and installs what make install installs" {
	require_tool rpmspec rpm
	run -0 rpmspec -P "$TOP/packaging/rpm/memonline.spec"
	assert_line '%config(noreplace) /etc/memonline.conf'
	assert_line '/usr/lib/udev/rules.d/85-memonline.rules'
	assert_line '/usr/lib/systemd/system/memonline.service'
	assert_line '/usr/share/bash-completion/completions/memonline'
	assert_line --partial 'systemctl --no-reload preset memonline.service'
}

@test "the RPM spec leaves a distribution's own systemd macros alone" {
	require_tool rpmspec rpm
	run -0 rpmspec -P --define '_unitdir /units' --define '_udevrulesdir /rules' \
		--define 'systemd_post() distro_post %{?*}' "$TOP/packaging/rpm/memonline.spec"
	assert_line '/units/memonline.service'
	assert_line '/rules/85-memonline.rules'
	assert_line 'distro_post memonline.service'
}

@test "the Debian unit is enabled, and never started or stopped by the package" {
	run -0 grep -A1 '^override_dh_installsystemd:' "$TOP/debian/rules"
	assert_line --partial 'dh_installsystemd --no-start --no-stop-on-upgrade'
}

# Every library is loaded with dlopen(): dpkg-shlibdeps and find-requires
# miss them all.

# deb_field FIELD: the lines of the memonline package's FIELD in debian/control.
deb_field() {
	awk -v want="$1:" '/^Package: / { pkg = $2 } /^[A-Z]/ { field = $1 }
		pkg == "memonline" && field == want { print }' "$TOP/debian/control"
}

# rpm_names TAG: the names of the spec's dependencies of one kind (REQUIRENAME...).
rpm_names() {
	rpmspec -q --qf "[%{$1}\n]" "$TOP/packaging/rpm/memonline.spec"
}

@test "the .deb depends on libsmartcols1 and libudev1" {
	run -0 deb_field Depends
	assert_line --regexp '^ libsmartcols1 \(>= 2\.33\),?$'
	assert_line --regexp '^ libudev1 \(>= 183\),?$'
}

@test "the RPM requires libsmartcols.so.1 and libudev.so.1, as find-requires named them" {
	require_tool rpmspec rpm
	run -0 rpm_names REQUIRENAME
	assert_line --regexp '^libsmartcols\.so\.1\(SMARTCOLS_2\.33\)(\(64bit\))?$'
	assert_line --regexp '^libudev\.so\.1\(LIBUDEV_183\)(\(64bit\))?$'
}

@test "the .deb recommends libkmod2 and libmount1" {
	run -0 deb_field Recommends
	assert_line --regexp '^ libkmod2,?$'
	assert_line --regexp '^ libmount1,?$'
}

@test "the RPM recommends kmod-libs and libmount" {
	require_tool rpmspec rpm
	run -0 rpm_names RECOMMENDNAME
	assert_line --regexp '^kmod-libs(\(.*\))?$'
	assert_line --regexp '^libmount(\(.*\))?$'
}
