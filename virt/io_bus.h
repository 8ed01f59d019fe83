/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel I/O buses of a VM (io_bus.c): address ranges that devices
 * in the kernel (ioeventfds, coalesced MMIO zones, the vGIC's frames)
 * claim, looked up by a vCPU's MMIO access without taking any lock.
 */
#ifndef MODKVM_IO_BUS_H
#define MODKVM_IO_BUS_H

#include <linux/types.h>

struct modkvm_vm;
struct modkvm_vcpu;
struct modkvm_io_dev;
struct modkvm_io_bus;

enum modkvm_bus {
	MODKVM_MMIO_BUS,
	MODKVM_PIO_BUS,		/* arm64 has no port I/O: never looked up */
	MODKVM_NR_BUSES,
};

/* Devices on one bus, all kinds together (KVM's limit per bus is 1000). */
#define MODKVM_IO_BUS_MAX_DEVS	2000

/*
 * What a device does with an access that starts inside its range. @data
 * holds @len (1 to 8) bytes in guest memory order, as kvm_run's mmio.data.
 * Each returns true if it took the access, false to let the next device
 * (then userspace) have it. Called under the VM's SRCU read lock: they may
 * sleep. @destroy frees a device still on the bus when the VM goes (NULL:
 * its owner does).
 */
struct modkvm_io_ops {
	bool (*write)(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
		      u64 addr, unsigned int len, const u8 *data);
	bool (*read)(struct modkvm_vcpu *vcpu, struct modkvm_io_dev *dev,
		     u64 addr, unsigned int len, u8 *data);
	void (*destroy)(struct modkvm_io_dev *dev);
	/* between devices with the very same range, the higher goes first */
	u8 prio;
};

/* Embedded in the device's own structure; fixed while on a bus. */
struct modkvm_io_dev {
	u64 first;		/* first and last byte of the range */
	u64 last;
	const struct modkvm_io_ops *ops;
};

int modkvm_io_bus_init(struct modkvm_vm *vm);
void modkvm_io_bus_destroy(struct modkvm_vm *vm);

/* Under vm->lock. Unregistering does not wait: see modkvm_io_bus_sync(). */
int modkvm_io_bus_register(struct modkvm_vm *vm, enum modkvm_bus bus,
			   struct modkvm_io_dev *dev);
int modkvm_io_bus_unregister(struct modkvm_vm *vm, enum modkvm_bus bus,
			     struct modkvm_io_dev *dev);
/* Wait until no vCPU can still be in a device that was unregistered. */
void modkvm_io_bus_sync(struct modkvm_vm *vm);

/*
 * Under vm->lock: the devices with @ops whose range overlaps
 * [@first, @last], one per call, from the one starting highest down.
 * Start with *@pos = MODKVM_IO_BUS_START; NULL when there are no more.
 */
#define MODKVM_IO_BUS_START	(~0U)
struct modkvm_io_dev *modkvm_io_bus_overlap(struct modkvm_vm *vm,
					    enum modkvm_bus bus,
					    const struct modkvm_io_ops *ops,
					    u64 first, u64 last,
					    unsigned int *pos);

/* A vCPU's access: true if a device took it. */
bool modkvm_io_bus_write(struct modkvm_vcpu *vcpu, enum modkvm_bus bus,
			 u64 addr, unsigned int len, const u8 *data);
bool modkvm_io_bus_read(struct modkvm_vcpu *vcpu, enum modkvm_bus bus,
			u64 addr, unsigned int len, u8 *data);

/*
 * An access's bytes as a device sees them: @len (at most 8) bytes in
 * little-endian order, as a value and back (the MMIO bus hands devices
 * the bytes the guest wrote or will read, already in its data order)
 */
static inline u64 modkvm_io_le_get(const u8 *data, unsigned int len)
{
	u64 val = 0;
	unsigned int i;

	for (i = 0; i < len && i < sizeof(val); i++)
		val |= (u64)data[i] << (8 * i);
	return val;
}

static inline void modkvm_io_le_put(u8 *data, unsigned int len, u64 val)
{
	unsigned int i;

	for (i = 0; i < len && i < sizeof(val); i++)
		data[i] = val >> (8 * i);
}

#endif /* MODKVM_IO_BUS_H */
