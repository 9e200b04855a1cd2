"""Running a training job from a validated ``RunConfig`` through Lightning's Trainer."""
