/**
 * Where each floating-point datatype stops being finite: the least magnitude that rounds to Infinity when
 * stored at that precision (round to nearest, ties to even). Just above the largest finite value a number
 * still rounds down to it (3.4028235e38, numpy's print of float32's max, is FP32's max), so the bound is
 * half an ulp beyond it. FP64: JSON text beyond ±1.7976931348623157e308 already parses to Infinity.
 */
export const FP_LIMIT: Record<string, number> = {
  FP16: 65520, // 65504 + 2^4 (half an ulp at 2^15)
  FP32: 3.4028235677973366e38, // 2^128 − 2^103
  FP64: Infinity,
};
/** The largest finite value of each floating-point datatype, as the messages name it. */
export const FP_MAX: Record<string, string> = { FP16: '65504', FP32: '3.4028235e38', FP64: '1.7976931348623157e308' };
