#ifndef OAUTH2_CHIREDIS_SHIM_H
#define OAUTH2_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
