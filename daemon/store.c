/* store.c — placeholder until its module lands. */
#include "contactwatch/common.h"
