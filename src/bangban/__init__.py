"""bangban: the open 帮办代办 platform."""
