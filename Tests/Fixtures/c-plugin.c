/*
 * A subdev plugin written in C, to show the plugin interface is plain C and
 * JSON, and to test how subdevd refuses libraries it cannot use. Built by
 * the tests with -DABI_VERSION=N and -DDRIVER='"name"'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t subdev_plugin_abi_version(void)
{
    return ABI_VERSION;
}

char *subdev_plugin_call(const char *request)
{
    char *answer = malloc(256);
    if (!answer)
        return NULL;
    if (strstr(request, "\"driver\""))
        snprintf(answer, 256, "{\"driver\":{\"_0\":\"%s\"}}", DRIVER);
    else
        snprintf(answer, 256, "{\"pluginError\":{\"_0\":{\"errno\":95,\"message\":\"c-plugin does nothing else\"}}}");
    return answer;
}

void subdev_plugin_free(char *answer)
{
    free(answer);
}
