"""Example training scripts, shipped as runreport.examples so ``runreport demo`` works anywhere."""
