// Placeholder until the native engine lands; replaced by the engine's build script.
