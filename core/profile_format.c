/* placeholder: filled in by its owner */
typedef int tsr_placeholder_;
