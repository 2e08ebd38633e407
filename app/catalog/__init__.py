"""catalog: the public service catalogue (基本项目清单), the provider directory with practice records, the case library."""
