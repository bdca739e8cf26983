/* printf of floats and doubles across magnitudes and formats; the output is compared
 * with the same program built for the host. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    double v[] = {0.0, -0.0, 1.0, 0.1, 1.0 / 3.0, 2.0 / 3.0, 123456789.125, 1e-300, 4.9e-324,
                  1.7976931348623157e308, 3.141592653589793, 2.718281828459045, 1e21, 1e22, 0.5, 1.5, 2.5};
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
        printf("%g|%f|%e|%.17g|%a|%10.3f|%-12.4e|\n", v[i], v[i], v[i], v[i], v[i], v[i], v[i]);
    float f[] = {0.1f, 1.0f / 3.0f, 16777217.0f, 3.4028235e38f, 1.17549435e-38f};
    for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) printf("%g %.9g %a\n", f[i], f[i], f[i]);
    printf("%f %f %f\n", INFINITY, -INFINITY, sqrt(2.0));
    double acc = 0;
    for (int i = 1; i <= 1000; i++) acc += 1.0 / i;
    printf("harmonic %.15f %.6e\n", acc, exp(acc) * sin(acc) / log(acc));
    printf("strtod %.17g %.17g\n", strtod("0.1", 0), strtod("123.456e-7", 0));
    return 0;
}
