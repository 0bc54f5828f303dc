/* i8042 (PS/2) keyboard controller with no keyboard and no mouse attached.
 *
 * The controller itself works: self-tests, the command byte, the output
 * port, the aux loop-back commands (0xD2/0xD3), and reset through 0xFE or an
 * output-port write with bit 0 clear. Bytes sent to a device (a data-port
 * write with no command pending, or through 0xD4) are answered the way a
 * real controller answers for an empty socket: 0xFE with the status TIMEOUT
 * bit set (plus AUXB for the aux port). Linux's atkbd and psmouse treat that
 * as an immediate failure, so probing finishes in a few accesses instead of
 * waiting out its per-command timeouts for a device that never answers.
 *
 * The output buffer is a small queue (a real i8042 holds one byte) so that a
 * command's reply is never lost; interrupts are raised while the byte at the
 * head is unread and its port's interrupt is enabled in the command byte.
 */
#include <string.h>

#include "vslice/dev/i8042.h"

#define STS_OBF 0x01	 /* output buffer full */
#define STS_IBF 0x02	 /* input buffer full: never, writes finish at once */
#define STS_SYS 0x04	 /* system flag: self-test passed */
#define STS_CMD 0x08	 /* last write was to the command port */
#define STS_UNLOCK 0x10	 /* keyboard not inhibited */
#define STS_AUXB 0x20	 /* output buffer holds aux data */
#define STS_TIMEOUT 0x40 /* device did not answer */

#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS 0x04
#define CB_KBD_DISABLE 0x10
#define CB_AUX_DISABLE 0x20
#define CB_XLATE 0x40
#define CB_DEFAULT (CB_XLATE | CB_SYS | CB_KBD_INT)

#define OUTPORT_RESET 0x01 /* 0 asserts the CPU reset line */
#define OUTPORT_A20 0x02
#define OUTPORT_DEFAULT (OUTPORT_RESET | OUTPORT_A20)

/* Commands written to port 0x64. */
enum {
	CMD_READ_CB = 0x20,
	CMD_WRITE_CB = 0x60,
	CMD_AUX_DISABLE = 0xa7,
	CMD_AUX_ENABLE = 0xa8,
	CMD_AUX_TEST = 0xa9,
	CMD_SELF_TEST = 0xaa,
	CMD_KBD_TEST = 0xab,
	CMD_KBD_DISABLE = 0xad,
	CMD_KBD_ENABLE = 0xae,
	CMD_READ_OUTPORT = 0xd0,
	CMD_WRITE_OUTPORT = 0xd1,
	CMD_WRITE_KBD_OUT = 0xd2,
	CMD_WRITE_AUX_OUT = 0xd3,
	CMD_WRITE_AUX_DEV = 0xd4,
	CMD_PULSE_RESET = 0xfe,
};

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00
#define NO_DEVICE_REPLY 0xfe

#define QUEUE_LEN (sizeof(((struct i8042 *)0)->outbuf))

static void update_irqs(struct i8042 *k)
{
	int kbd = 0, aux = 0;
	if (k->out_count > 0) {
		if (k->outflags[k->out_head] & STS_AUXB)
			aux = (k->cmd_byte & CB_AUX_INT) != 0;
		else
			kbd = (k->cmd_byte & CB_KBD_INT) != 0;
	}
	if (kbd != k->kbd_level) {
		k->kbd_level = kbd;
		irq_set(&k->kbd_irq, kbd);
	}
	if (aux != k->aux_level) {
		k->aux_level = aux;
		irq_set(&k->aux_irq, aux);
	}
}

/* Queues one byte for the guest; flags are STS_AUXB / STS_TIMEOUT. Full
 * queue: the byte is dropped, as an overrun would lose it. */
static void output(struct i8042 *k, uint8_t byte, uint8_t flags)
{
	if (k->out_count >= QUEUE_LEN)
		return;
	unsigned tail = (k->out_head + k->out_count) % QUEUE_LEN;
	k->outbuf[tail] = byte;
	k->outflags[tail] = flags;
	k->out_count++;
	update_irqs(k);
}

static uint8_t read_status(const struct i8042 *k)
{
	uint8_t s = k->status & (STS_SYS | STS_CMD);
	s |= STS_UNLOCK;
	if (k->out_count > 0)
		s |= STS_OBF | k->outflags[k->out_head];
	return s;
}

static uint8_t read_data(struct i8042 *k)
{
	if (k->out_count == 0) /* the stale byte stays in the buffer */
		return k->outbuf[(k->out_head + QUEUE_LEN - 1) % QUEUE_LEN];
	uint8_t byte = k->outbuf[k->out_head];
	k->out_head = (k->out_head + 1) % QUEUE_LEN;
	k->out_count--;
	update_irqs(k);
	return byte;
}

static void set_cmd_byte(struct i8042 *k, uint8_t val)
{
	k->cmd_byte = val;
	if (val & CB_SYS)
		k->status |= STS_SYS;
	else
		k->status &= ~STS_SYS;
	update_irqs(k);
}

static void write_outport(struct i8042 *k, uint8_t val)
{
	k->out_port = val | OUTPORT_RESET;
	if (!(val & OUTPORT_RESET) && k->reset)
		k->reset(k->reset_opaque);
}

static void write_command(struct i8042 *k, uint8_t cmd)
{
	k->status |= STS_CMD;
	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_READ_CB:
		output(k, k->cmd_byte, 0);
		break;
	case CMD_WRITE_CB:
	case CMD_WRITE_OUTPORT:
	case CMD_WRITE_KBD_OUT:
	case CMD_WRITE_AUX_OUT:
	case CMD_WRITE_AUX_DEV:
		k->pending_cmd = cmd; /* the parameter follows on port 0x60 */
		break;
	case CMD_AUX_DISABLE:
		set_cmd_byte(k, k->cmd_byte | CB_AUX_DISABLE);
		break;
	case CMD_AUX_ENABLE:
		set_cmd_byte(k, k->cmd_byte & ~CB_AUX_DISABLE);
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		output(k, PORT_TEST_OK, 0);
		break;
	case CMD_SELF_TEST:
		k->status |= STS_SYS;
		output(k, SELF_TEST_OK, 0);
		break;
	case CMD_KBD_DISABLE:
		set_cmd_byte(k, k->cmd_byte | CB_KBD_DISABLE);
		break;
	case CMD_KBD_ENABLE:
		set_cmd_byte(k, k->cmd_byte & ~CB_KBD_DISABLE);
		break;
	case CMD_READ_OUTPORT:
		output(k, k->out_port, 0);
		break;
	case CMD_PULSE_RESET:
		if (k->reset)
			k->reset(k->reset_opaque);
		break;
	default:
		/* 0x21-0x3f/0x61-0x7f (controller RAM), 0xf0-0xfd and 0xff
		 * (pulse lines other than reset) and the rest: no effect. */
		break;
	}
}

static void write_data(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending_cmd;
	k->status &= ~STS_CMD;
	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CB:
		set_cmd_byte(k, val);
		break;
	case CMD_WRITE_OUTPORT:
		write_outport(k, val);
		break;
	case CMD_WRITE_KBD_OUT:
		output(k, val, 0);
		break;
	case CMD_WRITE_AUX_OUT:
		output(k, val, STS_AUXB);
		break;
	case CMD_WRITE_AUX_DEV:
		output(k, NO_DEVICE_REPLY, STS_AUXB | STS_TIMEOUT);
		break;
	default:
		/* A byte for the keyboard, which is not there. */
		output(k, NO_DEVICE_REPLY, STS_TIMEOUT);
		break;
	}
}

void i8042_init(struct i8042 *k, void (*reset)(void *opaque), void *opaque, struct irq_line kbd_irq,
		struct irq_line aux_irq)
{
	memset(k, 0, sizeof(*k));
	k->reset = reset;
	k->reset_opaque = opaque;
	k->kbd_irq = kbd_irq;
	k->aux_irq = aux_irq;
	/* As the firmware leaves it after POST. */
	k->cmd_byte = CB_DEFAULT;
	k->status = STS_SYS;
	k->out_port = OUTPORT_DEFAULT;
}

void i8042_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct i8042 *k = opaque;
	uint8_t *bytes = data;
	/* Wider accesses act as byte accesses to consecutive ports; ports
	 * other than 0x60 and 0x64 are not ours. */
	for (unsigned i = 0; i < len; i++) {
		uint64_t port = offset + i;
		if (port == 0 && is_write)
			write_data(k, bytes[i]);
		else if (port == 0)
			bytes[i] = read_data(k);
		else if (port == 4 && is_write)
			write_command(k, bytes[i]);
		else if (port == 4)
			bytes[i] = read_status(k);
		else if (!is_write)
			bytes[i] = 0xff;
	}
}
