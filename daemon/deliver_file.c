/* deliver_file.c — placeholder until its module lands. */
#include "contactwatch/common.h"
