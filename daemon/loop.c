/* loop.c — placeholder. */


