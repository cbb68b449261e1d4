"""compass_npu: run the Hugging Face backend on Ascend NPUs (torch-npu)."""
