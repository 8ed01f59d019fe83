// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: guest loads and stores outside RAM, handed to userspace as
 * KVM_EXIT_MMIO.
 *
 * Only accesses the hardware fully describes are emulated: a data abort
 * with a valid instruction syndrome (ISV = 1: one register, no writeback,
 * 1 to 8 bytes). The bytes in run->mmio.data are in guest memory order,
 * so a big-endian access (SCTLR_EL1.EE at EL1, E0E at EL0) is byte-swapped
 * here. A store is complete once userspace has its data, so the guest's PC
 * moves past it when the exit is built; a load completes at the next
 * KVM_RUN (modkvm_mmio_complete), which writes the register and then moves
 * the PC. Either way the PC advances exactly once. Cache maintenance by
 * VA on an MMIO address does nothing and is skipped. Aborts without a
 * syndrome (load/store pair, writeback, SIMD, atomics...) are not decoded
 * in the kernel: they become KVM_EXIT_ARM_NISV when userspace enabled
 * KVM_CAP_ARM_NISV_TO_USER (PC left at the instruction), else KVM_RUN fails
 * with -ENOSYS, as api.rst documents. A store that matches an ioeventfd
 * signals it and the guest goes on (ioeventfd.c); otherwise a store into a
 * coalesced MMIO zone is queued in the VM's ring (coalesced_mmio.c); only
 * then does a store exit. Both are devices on the VM's MMIO bus
 * (io_bus.c), as are the in-kernel devices that answer loads too, with no
 * exit.
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include "modkvm.h"
#include "modkvm_trace.h"

/* Lay out @len bytes of @val as a store of that width would in memory. */
static void put_data(u8 *buf, unsigned int len, u64 val, bool be)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[be ? len - 1 - i : i] = val >> (8 * i);
}

static u64 get_data(const u8 *buf, unsigned int len, bool be)
{
	unsigned int i;
	u64 val = 0;

	for (i = 0; i < len; i++)
		val |= (u64)buf[be ? len - 1 - i : i] << (8 * i);
	return val;
}

/* The access under way may still be answered with an abort (see below) */
static void mmio_note_insn(struct modkvm_vcpu *vcpu, u64 far)
{
	vcpu->mmio.insn_pc = modkvm_get_pc(&vcpu->arch);
	vcpu->mmio.insn_pstate = modkvm_get_pstate(&vcpu->arch);
	vcpu->mmio.far = far;
}

static int mmio_no_syndrome(struct modkvm_vcpu *vcpu,
			    const struct modkvm_abort *ab)
{
	struct kvm_run *run = vcpu->run;

	/* DC CIVAC and friends on device memory: nothing to do */
	if (ab->is_cache_op) {
		modkvm_skip_instr(&vcpu->arch);
		return 1;
	}
	/* api.rst: KVM_RUN fails with ENOSYS without KVM_CAP_ARM_NISV_TO_USER */
	if (!vcpu->vm->nisv_to_user)
		return -ENOSYS;

	run->exit_reason = KVM_EXIT_ARM_NISV;
	run->arm_nisv.esr_iss = ab->iss;
	run->arm_nisv.fault_ipa = ab->ipa;
	mmio_note_insn(vcpu, ab->far);
	vcpu->mmio.abortable = true;
	return 0;
}

/* A load's data @buf (guest memory order) into its register; past it. */
static void load_done(struct modkvm_vcpu *vcpu, const u8 *buf)
{
	unsigned int len = vcpu->mmio.len;
	u64 val;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return;		/* cannot happen: set by modkvm_mmio_exit() */

	val = get_data(buf, len, modkvm_guest_data_be(&vcpu->arch));
	if (vcpu->mmio.sign_extend && len < 8)
		val = sign_extend64(val, len * 8 - 1);
	if (!vcpu->mmio.sixty_four)
		val = lower_32_bits(val);	/* Wt: upper half zeroed */
	modkvm_set_reg(&vcpu->arch, vcpu->mmio.rt, val);	/* 31: XZR */
	modkvm_skip_instr(&vcpu->arch);
}

int modkvm_mmio_exit(struct modkvm_vcpu *vcpu, const struct modkvm_abort *ab)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = ab->len, rt = ab->rt;
	u8 data[sizeof(run->mmio.data)] = { 0 };
	u64 ipa = ab->ipa;

	if (!ab->has_syndrome)
		return mmio_no_syndrome(vcpu, ab);
	trace_modkvm_mmio(vcpu->id, ab->store, ipa, len);

	if (ab->store) {
		/* Rt = 31 is WZR/XZR here, which modkvm_get_reg() reads as 0 */
		put_data(data, len, modkvm_get_reg(&vcpu->arch, rt),
			 modkvm_guest_data_be(&vcpu->arch));
		mmio_note_insn(vcpu, ab->far);
		modkvm_skip_instr(&vcpu->arch);
		/* An in-kernel device: ioeventfd, coalesced zone (io_bus.c) */
		if (modkvm_io_bus_write(vcpu, MODKVM_MMIO_BUS, ipa, len, data))
			return 1;
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = ipa;
		run->mmio.len = len;
		run->mmio.is_write = true;
		memcpy(run->mmio.data, data, sizeof(run->mmio.data));
		vcpu->mmio.abortable = true;
		return 0;
	}

	mmio_note_insn(vcpu, ab->far);
	vcpu->mmio.rt = rt;
	vcpu->mmio.len = len;
	vcpu->mmio.sign_extend = ab->sign_extend;
	vcpu->mmio.sixty_four = ab->sixty_four;

	/* An in-kernel device answers at once: no exit (io_bus.c) */
	if (modkvm_io_bus_read(vcpu, MODKVM_MMIO_BUS, ipa, len, data)) {
		load_done(vcpu, data);
		return 1;
	}

	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = ipa;
	run->mmio.len = len;
	run->mmio.is_write = false;
	vcpu->mmio.abortable = true;
	vcpu->mmio.pending = true;
	return 0;
}

/*
 * Finish a load with the data userspace put in run->mmio.data. The
 * byte order is the guest's at this point (userspace is not expected to
 * change SCTLR_EL1.EE between the exit and the next KVM_RUN).
 */
void modkvm_mmio_complete(struct modkvm_vcpu *vcpu)
{
	if (!vcpu->mmio.pending)
		return;
	vcpu->mmio.pending = false;
	load_done(vcpu, vcpu->run->mmio.data);
}

/*
 * KVM_SET_VCPU_EVENTS with ext_dabt_pending (api.rst: for an access
 * userspace could not handle): the access of the last MMIO or NISV exit
 * becomes a synchronous external abort taken at its instruction, a load
 * left uncompleted and a store's step past it undone, with its address
 * in FAR. -EINVAL if the vCPU has run since, or its last exit was no such
 * access ("a programming error" for api.rst).
 */
int modkvm_mmio_abort(struct modkvm_vcpu *vcpu)
{
	if (!vcpu->mmio.abortable)
		return -EINVAL;
	vcpu->mmio.abortable = false;
	vcpu->mmio.pending = false;
	modkvm_set_pc(&vcpu->arch, vcpu->mmio.insn_pc);
	modkvm_set_pstate(&vcpu->arch, vcpu->mmio.insn_pstate);
	modkvm_inject_dabt(vcpu, vcpu->mmio.far);
	return 0;
}
