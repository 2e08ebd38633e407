"""emulator domain."""
