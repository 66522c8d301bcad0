/* SPDX-License-Identifier: Apache-2.0 */
#ifndef TG_KERNEL_BPF_ERRORS_H
#define TG_KERNEL_BPF_ERRORS_H

/* Log what a BPF load/attach error means and what to do about it. */
void bpf_explain_error(const char *what, int err);

#endif
