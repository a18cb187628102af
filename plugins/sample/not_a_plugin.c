/* A shared object that is not a plugin: it exports no cvm_plugin_entry. */
__attribute__((visibility("default"))) int cvm_not_a_plugin(void) { return 42; }
