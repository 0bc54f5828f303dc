/* Accelerator registry. */
#include <string.h>

#include "vslice/accel.h"

const struct accel_ops *accel_find(const char *name)
{
	static const struct accel_ops *const all[] = { &accel_kvm_ops, &accel_emu_ops };
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
