#!/usr/bin/env bats
# hostile.bats again where openat2 is missing: memonline's own walk of the
# tree must hold it as RESOLVE_BENEATH does, on a kernel before 5.6 (ENOSYS)
# and in a container whose seccomp filter predates openat2 (EPERM).

hostile() {
	MEMONLINE=$MEMONLINE FAKESYS=$FAKESYS FAKESYS_OPENAT2=$1 \
		run -0 bats --tap "$BATS_TEST_DIRNAME/hostile.bats"
	refute_line --regexp '^not ok'
}

load helpers

@test "hostile trees without openat2 (a kernel before 5.6)" {
	hostile ENOSYS
}

@test "hostile trees where a seccomp filter refuses openat2" {
	hostile EPERM
}
