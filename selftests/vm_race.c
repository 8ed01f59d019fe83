// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once, for races: two vCPU threads run a guest that
 * writes all over a 4 MiB slot, reads a slot that comes and goes, makes
 * hypercalls and reports a counter by MMIO; meanwhile other threads drop
 * the guest's pages (MADV_DONTNEED), make them read-only for a moment
 * (mprotect), delete and re-add the other slot, switch dirty logging on
 * and off and fetch the log, and send the vCPU threads signals. At the
 * end the VM fd is closed while the vCPUs still run.
 *
 * What must hold: each MMIO report is larger than the last and matches
 * what the guest stored to memory just before (the host's view of guest
 * memory stays coherent through all the invalidations), KVM_RUN ends only
 * in MMIO exits, EINTR, or EFAULT while the memory is read-only, the
 * guest keeps making progress, and nothing leaks (fds); the testbed
 * checks the host log for oopses and WARNs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmm.h"
#include "guest.h"

#define DATA_GPA	0x50000000UL
#define DATA_SIZE	0x400000UL
#define HOLE_GPA	0x60000000UL
#define HOLE_SIZE	0x10000UL
#define MAILBOX		(VMM_RAM_BASE + 0x100000UL)
#define RUN_SECONDS	12

/*
 * x19: this vCPU's index (MPIDR Aff0), x21: counter. Every iteration: a
 * store into one page of the data slot (stepping 7 pages) and a load from
 * the slot that comes and goes; every 16th a PSCI_VERSION call; every
 * 64th the counter goes to the mailbox and then to the host by MMIO.
 */
GUEST_CODE(race,
	"	mrs	x19, mpidr_el1\n"
	"	and	x19, x19, #0xff\n"
	"	mov64	x20, " GUEST_STR(VMM_MMIO_BASE) "\n"
	"	add	x20, x20, x19, lsl #3\n"
	"	mov64	x22, " GUEST_STR(DATA_GPA) "\n"
	"	mov64	x23, " GUEST_STR(HOLE_GPA) "\n"
	"	mov64	x24, " GUEST_STR(MAILBOX) "\n"
	"	add	x24, x24, x19, lsl #3\n"
	"	mov	x21, #0\n"
	"	mov	x25, #0\n"		/* page index */
	"1:	add	x25, x25, #7\n"
	"	and	x25, x25, #0x3ff\n"
	"	lsl	x26, x25, #12\n"
	"	add	x26, x26, x19, lsl #3\n"
	"	str	x21, [x22, x26]\n"
	"	and	x26, x25, #0xf\n"
	"	lsl	x26, x26, #12\n"
	"	ldr	x27, [x23, x26]\n"
	"	tst	x21, #0xf\n"
	"	b.ne	2f\n"
	"	mov64	x0, 0x84000000\n"
	"	hvc	#0\n"
	"2:	tst	x21, #0x3f\n"
	"	b.ne	3f\n"
	"	str	x21, [x24]\n"
	"	str	x21, [x20]\n"
	"3:	add	x21, x21, #1\n"
	"	b	1b\n");

static struct vmm_vm vm;
static struct vmm_vcpu vcpus[2];
static uint8_t *data, *hole;
static volatile int stop, stop_helpers;
static pthread_t vcpu_threads[2];

static struct {
	unsigned long reports, mmio_reads, eintr, efault, bad_run;
	unsigned long incoherent, backwards, mem_ops, slot_ops, log_ops;
	unsigned long kicks, other_bad;
} st;

static void on_kick(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	uint64_t *mailbox = vmm_gpa_to_hva(&vm, MAILBOX + 8 * vcpu->id);
	uint64_t last = 0, v;
	bool first = true;
	int rc;

	while (!stop) {
		rc = vmm_run(vcpu);
		switch (rc) {
		case KVM_EXIT_MMIO:
			if (!vcpu->run->mmio.is_write) {
				tap_count(&st.mmio_reads, NULL);
				vmm_mmio_reply(vcpu, 0);
				break;
			}
			v = vmm_mmio_data(vcpu);
			tap_count(&st.reports, NULL);
			if (v != *mailbox)
				tap_count(&st.incoherent,
					  "vCPU %u reported %llu, its mailbox says %llu",
					  vcpu->id, (unsigned long long)v,
					  (unsigned long long)*mailbox);
			if (!first && v <= last)
				tap_count(&st.backwards, "vCPU %u: %llu after %llu",
					  vcpu->id, (unsigned long long)v,
					  (unsigned long long)last);
			first = false;
			last = v;
			break;
		case -EINTR:
			tap_count(&st.eintr, NULL);
			break;
		case -EFAULT:	/* the data slot is read-only for a moment */
			tap_count(&st.efault, NULL);
			usleep(1000);
			break;
		default:
			tap_count(&st.bad_run, "vCPU %u: %s", vcpu->id,
				  vmm_describe_exit(vcpu));
			usleep(1000);
			break;
		}
	}
	return NULL;
}

static unsigned int seed = 1;

static unsigned int rn(unsigned int n)
{
	return rand_r(&seed) % n;
}

static void *mem_thread(void *arg)
{
	(void)arg;
	while (!stop_helpers) {
		size_t off = (size_t)rn(DATA_SIZE / 4096) * 4096;
		size_t len = 4096 * (1 + rn(64));

		if (off + len > DATA_SIZE)
			len = DATA_SIZE - off;
		if (rn(8)) {
			if (madvise(data + off, len, MADV_DONTNEED))
				tap_count(&st.other_bad, "madvise: %s",
					  strerror(errno));
		} else {
			mprotect(data + off, len, PROT_READ);
			usleep(2000);
			mprotect(data + off, len, PROT_READ | PROT_WRITE);
		}
		tap_count(&st.mem_ops, NULL);
		usleep(500);
	}
	return NULL;
}

static void *slot_thread(void *arg)
{
	struct kvm_dirty_log log = { .slot = 2 };
	uint64_t bitmap[DATA_SIZE / 4096 / 64];
	bool logging = false;
	int rc;

	(void)arg;
	log.dirty_bitmap = bitmap;
	while (!stop_helpers) {
		switch (rn(3)) {
		case 0:		/* the hole slot goes, and comes back */
			rc = vmm_set_region(&vm, 3, 0, HOLE_GPA, 0, hole);
			usleep(1000);
			rc = rc ?: vmm_set_region(&vm, 3, 0, HOLE_GPA,
						  HOLE_SIZE, hole);
			if (rc)
				tap_count(&st.other_bad, "slot 3: %s",
					  strerror(-rc));
			tap_count(&st.slot_ops, NULL);
			break;
		case 1:		/* dirty logging on or off */
			logging = !logging;
			rc = vmm_set_region(&vm, 2,
					    logging ? KVM_MEM_LOG_DIRTY_PAGES : 0,
					    DATA_GPA, DATA_SIZE, data);
			if (rc)
				tap_count(&st.other_bad, "slot 2 flags: %s",
					  strerror(-rc));
			tap_count(&st.slot_ops, NULL);
			break;
		default:
			rc = ioctl(vm.fd, KVM_GET_DIRTY_LOG, &log);
			if (rc && !(errno == ENOENT && !logging))
				tap_count(&st.other_bad, "GET_DIRTY_LOG: %s",
					  strerror(errno));
			tap_count(&st.log_ops, NULL);
			break;
		}
		usleep(1000);
	}
	return NULL;
}

static void *kick_thread(void *arg)
{
	(void)arg;
	while (!stop_helpers) {
		pthread_kill(vcpu_threads[rn(2)], SIGUSR1);
		tap_count(&st.kicks, NULL);
		usleep(1000 + rn(3000));
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_kick };
	pthread_t helpers[3];
	uint64_t progress0[2], progress1[2];
	unsigned int i;
	int fds0, rc;

	tap_init();
	fds0 = vmm_count_fds();
	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART */

	rc = vmm_simple_vm(&vm, &vcpus[0], race_start, GUEST_SIZE(race),
			   1U << KVM_ARM_VCPU_PSCI_0_2);
	TAP_REQUIRE(!rc, "VM with a vCPU", "%s", strerror(-rc));
	rc = vmm_simple_vcpu(&vm, &vcpus[1], 1, 1U << KVM_ARM_VCPU_PSCI_0_2,
			     VMM_RAM_BASE);
	TAP_REQUIRE(!rc, "second vCPU", "%s", strerror(-rc));
	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, HOLE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_REQUIRE(data != MAP_FAILED && hole != MAP_FAILED, "mmap", NULL);
	rc = vmm_set_region(&vm, 2, 0, DATA_GPA, DATA_SIZE, data);
	rc = rc ?: vmm_set_region(&vm, 3, 0, HOLE_GPA, HOLE_SIZE, hole);
	TAP_REQUIRE(!rc, "data and hole slots", "%s", strerror(-rc));

	for (i = 0; i < 2; i++)
		pthread_create(&vcpu_threads[i], NULL, vcpu_thread, &vcpus[i]);
	pthread_create(&helpers[0], NULL, mem_thread, NULL);
	pthread_create(&helpers[1], NULL, slot_thread, NULL);
	pthread_create(&helpers[2], NULL, kick_thread, NULL);

	sleep(RUN_SECONDS / 2);
	for (i = 0; i < 2; i++)
		progress0[i] = *(uint64_t *)vmm_gpa_to_hva(&vm, MAILBOX + 8 * i);
	sleep(RUN_SECONDS / 2);
	for (i = 0; i < 2; i++)
		progress1[i] = *(uint64_t *)vmm_gpa_to_hva(&vm, MAILBOX + 8 * i);

	/* The helpers stop; the VM fd goes while the vCPUs still run. */
	stop_helpers = 1;
	for (i = 0; i < 3; i++)
		pthread_join(helpers[i], NULL);
	close(vm.fd);
	vm.fd = -1;
	usleep(500000);
	stop = 1;
	for (i = 0; i < 2; i++) {
		unsigned int n;

		for (n = 0; n < 100; n++) {
			pthread_kill(vcpu_threads[i], SIGUSR1);
			usleep(10000);
			if (pthread_tryjoin_np(vcpu_threads[i], NULL) == 0)
				break;
		}
		tap_check(n < 100, i ? "vCPU 1 thread stopped" :
				       "vCPU 0 thread stopped", NULL);
	}

	tap_diag("%lu reports, %lu MMIO reads (slot absent), %lu EINTR, %lu EFAULT; %lu memory, %lu slot, %lu dirty log operations, %lu kicks",
		 st.reports, st.mmio_reads, st.eintr, st.efault, st.mem_ops,
		 st.slot_ops, st.log_ops, st.kicks);
	tap_check(st.reports > 20 && st.mem_ops > 100 && st.slot_ops > 20 &&
		  st.kicks > 100, "everything ran concurrently",
		  "too little happened");
	for (i = 0; i < 2; i++)
		tap_check(progress1[i] > progress0[i],
			  i ? "vCPU 1 made progress in the second half" :
			      "vCPU 0 made progress in the second half",
			  "counter %llu then %llu",
			  (unsigned long long)progress0[i],
			  (unsigned long long)progress1[i]);
	TAP_EQ(st.incoherent, 0,
	       "every report matched the guest's store to memory");
	TAP_EQ(st.backwards, 0, "the reports only went up");
	TAP_EQ(st.bad_run, 0, "KVM_RUN ended only in MMIO, EINTR or EFAULT");
	TAP_EQ(st.other_bad, 0, "memory, slot and dirty log operations worked");

	for (i = 0; i < 2; i++)
		vmm_vcpu_destroy(&vcpus[i]);
	vmm_vm_destroy(&vm);
	munmap(data, DATA_SIZE);
	munmap(hole, HOLE_SIZE);
	TAP_EQ(vmm_count_fds(), fds0, "no file descriptor left behind");
	return tap_done();
}
